import Foundation
import KubeHarden
import KubeHardenOutput
import XCTest

@testable import KubeHardenReview

/// `kubeharden review` against the GitHub double (a local HTTP server answering like GitHub):
/// the client, the planner and the session are the real ones; only GitHub is played.
final class ReviewScenarioTests: XCTestCase {
  // MARK: Manifests

  static func deployment(_ name: String, image: String = "nginx:1.27", extra: String = "") -> String {
    """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: \(name)
    spec:
      selector:
        matchLabels:
          app: \(name)
      template:
        metadata:
          labels:
            app: \(name)
        spec:
          containers:
          - name: \(name)
            image: \(image)
    \(extra)
    """
  }

  /// Two deployments far apart: a change to the first one's image leaves the second one's
  /// fixes outside the diff.
  static func twoDeployments(image: String, header: String = "") -> String {
    header + deployment("api", image: image) + "---\n" + String(repeating: "# padding\n", count: 12) + deployment("worker")
  }

  static let privileged = deployment(
    "web", extra: "        securityContext:\n          privileged: true   # TODO: why?\n")

  // MARK: The pull request

  /// A checkout of the pull request's head in a temporary folder, and its patches.
  final class PullRequest {
    let root: URL
    var base: [String: String] = [:]
    var head: [String: String] = [:]

    init() throws {
      root = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-review-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes the head into the checkout and the files (with `git diff` patches) into the double.
    func publish(to double: GitHubDouble) throws {
      let scratch = root.appendingPathComponent(".base")
      try? FileManager.default.removeItem(at: scratch)
      var files: [[String: Any]] = []
      for path in head.keys.sorted() {
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(head[path]!.utf8).write(to: file)
        var old = "/dev/null"
        if let text = base[path] {
          let baseFile = scratch.appendingPathComponent(path)
          try FileManager.default.createDirectory(at: baseFile.deletingLastPathComponent(), withIntermediateDirectories: true)
          try Data(text.utf8).write(to: baseFile)
          old = baseFile.path
        }
        guard base[path] != head[path] else { continue }
        files.append(["filename": path, "status": base[path] == nil ? "added" : "modified", "patch": try Self.patch(old, file.path)])
      }
      double.with { $0.files = files }
    }

    /// GitHub's `patch` of a file: `git diff` without its header lines.
    static func patch(_ old: String, _ new: String) throws -> String {
      let result = try run(["git", "diff", "--no-index", "--no-color", "-U3", old, new])
      let lines = result.split(separator: "\n", omittingEmptySubsequences: false)
      guard let first = lines.firstIndex(where: { $0.hasPrefix("@@ ") }) else { return "" }
      return lines[first...].joined(separator: "\n")
    }

    func read(_ path: String) -> [UInt8] {
      (try? Data(contentsOf: root.appendingPathComponent(path))).map { [UInt8]($0) } ?? []
    }

    /// What `kubeharden review` is given: the pipeline's report for each path of the checkout.
    func reports(_ paths: [String]) -> [FileReport] {
      paths.map { Pipeline().process(path: $0, bytes: read($0)) }
    }
  }

  /// A pull request that changes the first deployment's image in k8s/api.yaml.
  static func imageChange() throws -> PullRequest {
    let pullRequest = try PullRequest()
    pullRequest.base["k8s/api.yaml"] = twoDeployments(image: "api:1.0")
    pullRequest.head["k8s/api.yaml"] = twoDeployments(image: "api:1.1")
    return pullRequest
  }

  // MARK: Running a review

  final class Output: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func append(_ more: String) {
      lock.lock()
      text += more
      lock.unlock()
    }
    var value: String {
      lock.lock()
      defer { lock.unlock() }
      return text
    }
  }

  struct Run {
    var outcome: ReviewSession.Outcome
    var plan: ReviewPlanner.Plan
    var output: String
  }

  func review(_ double: GitHubDouble, _ pullRequest: PullRequest, dryRun: Bool = false) throws -> Run {
    let output = Output()
    let context = PullRequestContext(
      apiURL: double.apiURL, token: double.token, repository: double.repository, number: double.number, headSHA: double.headSHA)
    let client = GitHubClient(apiURL: double.apiURL, token: double.token, dryRun: dryRun, timeout: 10) { output.append($0) }
    let session = ReviewSession(
      context: context, client: client, planner: ReviewPlanner(tool: ReportTool(version: "test")), output: { output.append($0) })
    let (outcome, plan) = try session.run(paths: nil, reports: pullRequest.reports)
    return Run(outcome: outcome, plan: plan, output: output.value)
  }

  static func bodies(_ comments: [[String: Any]]) -> [String] { comments.compactMap { $0["body"] as? String } }

  static func fingerprints(_ comments: [[String: Any]]) -> [String] {
    bodies(comments).compactMap(ReviewPlanner.fingerprint(in:))
  }

  /// The head files with every posted suggestion committed the way GitHub does it.
  static func committingSuggestions(_ double: GitHubDouble, _ pullRequest: PullRequest, path: String) throws -> [UInt8] {
    let comments = double.with { $0.reviewComments }.filter { $0["path"] as? String == path && $0["in_reply_to_id"] == nil }
    let payload = try JSONSerialization.data(withJSONObject: ["comments": comments])
    return try GitHubReview.applySuggestions(
      original: pullRequest.read(path), payload: String(decoding: payload, as: UTF8.self), path: path)
  }

  /// The ```diff block of the summary.
  static func summaryPatch(_ summary: String) -> String? {
    guard let start = summary.range(of: "```diff\n") else { return nil }
    guard let end = summary.range(of: "\n```\n", range: start.upperBound..<summary.endIndex) else { return nil }
    return String(summary[start.upperBound..<end.lowerBound]) + "\n"
  }

  static func summary(_ double: GitHubDouble) -> (id: Int, body: String)? {
    double.with { $0.issueComments }.compactMap { comment -> (Int, String)? in
      guard let body = comment["body"] as? String, body.contains(ReviewPlanner.summaryMarker), let id = comment["id"] as? Int else {
        return nil
      }
      return (id, body)
    }.first
  }

  // MARK: Scenarios

  /// A first review: one review holding the suggestions on the changed lines (none outside a
  /// hunk, or GitHub would have refused it), one summary with the other fixes as a patch;
  /// suggestions then patch give what `fix` writes.
  func testFirstReview() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try Self.imageChange()
    pullRequest.head["k8s/web.yaml"] = Self.privileged
    pullRequest.head["README.md"] = "not a manifest\n"
    try pullRequest.publish(to: double)

    let run = try review(double, pullRequest)
    guard case .posted(let posted, let deleted, let created) = run.outcome else { return XCTFail("\(run.outcome)") }
    XCTAssertEqual(deleted, 0)
    XCTAssertTrue(created)
    let state = double.with { $0 }
    XCTAssertEqual(state.refused422, 0)
    XCTAssertEqual(state.reviews.count, 1, "one review per run")
    let review = try XCTUnwrap(state.reviews.first)
    XCTAssertEqual(review["event"] as? String, "COMMENT")
    XCTAssertEqual(review["commit_id"] as? String, double.headSHA)
    XCTAssertEqual((review["comments"] as? [Any])?.count, posted)
    XCTAssertGreaterThan(posted, 2)
    let paths = Set(state.reviewComments.compactMap { $0["path"] as? String })
    XCTAssertEqual(paths, ["k8s/api.yaml", "k8s/web.yaml"])
    XCTAssertEqual(Self.fingerprints(state.reviewComments).count, state.reviewComments.count, "every comment has a marker")
    XCTAssertEqual(Set(Self.fingerprints(state.reviewComments)).count, state.reviewComments.count, "fingerprints are distinct")
    // Pagination: the double pages by 2; three files and several comments need more than one page.
    XCTAssertTrue(state.requests.contains { $0.contains("/files?per_page=2&page=2") }, "\(state.requests)")
    XCTAssertFalse(state.requests.contains { $0.hasPrefix("GET") && $0.contains("README") })

    // The summary: counts, the outside fixes as a patch, the unsafe fix marked.
    let summary = try XCTUnwrap(Self.summary(double))
    XCTAssertTrue(summary.body.contains("| `no-privileged`") || summary.body.contains("[`no-privileged`]"), summary.body)
    XCTAssertTrue(summary.body.contains("<details>"), summary.body)
    XCTAssertTrue(summary.body.contains("⚠️ **unsafe** `k8s/web.yaml`"), summary.body)
    let patch = try XCTUnwrap(Self.summaryPatch(summary.body), summary.body)
    XCTAssertTrue(patch.hasPrefix("--- a/k8s/api.yaml\n+++ b/k8s/api.yaml\n"), patch)

    // Every suggestion committed, then the summary's patch applied with git apply: fix's bytes.
    for path in ["k8s/api.yaml", "k8s/web.yaml"] {
      let expected = Pipeline().process(path: path, bytes: pullRequest.read(path)).fixed
      let suggested = try Self.committingSuggestions(double, pullRequest, path: path)
      let work = pullRequest.root.appendingPathComponent(".apply")
      try? FileManager.default.removeItem(at: work)
      let file = work.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(suggested).write(to: file)
      let patchFile = pullRequest.root.appendingPathComponent(".summary.patch")
      try Data(patch.utf8).write(to: patchFile)
      if path == "k8s/api.yaml" {
        _ = try Self.run(["git", "apply", "--whitespace=nowarn", patchFile.path], cwd: work)
      }
      XCTAssertEqual(
        String(decoding: try Data(contentsOf: file), as: UTF8.self), String(decoding: expected, as: UTF8.self), path)
    }
  }

  /// A rerun with nothing new: no review at all, the summary edited in place.
  func testRerunPostsNothingNew() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try PullRequest()
    pullRequest.head["k8s/web.yaml"] = Self.privileged
    try pullRequest.publish(to: double)
    _ = try review(double, pullRequest)
    let first = double.with { $0 }
    let summary = try XCTUnwrap(Self.summary(double))

    let run = try review(double, pullRequest)
    guard case .posted(let posted, let deleted, let created) = run.outcome else { return XCTFail("\(run.outcome)") }
    XCTAssertEqual([posted, deleted], [0, 0])
    XCTAssertFalse(created)
    let second = double.with { $0 }
    XCTAssertEqual(second.reviews.count, 1, "no second review")
    XCTAssertEqual(second.reviewComments.count, first.reviewComments.count)
    XCTAssertEqual(second.issueComments.count, 1, "the summary is not posted twice")
    XCTAssertEqual(Self.summary(double)?.id, summary.id)
    XCTAssertTrue(second.requests.contains("PATCH /repos/octo/app/issues/comments/\(summary.id)"), "\(second.requests)")
    XCTAssertFalse(second.requests.dropFirst(first.requests.count).contains { $0.hasPrefix("POST") })
  }

  /// A push that fixes some findings and shifts lines: the comments of the fixed findings are
  /// deleted (GitHub marked them outdated), except one a person replied to; the others stay.
  func testPushThatFixesSomeFindings() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try PullRequest()
    pullRequest.head["k8s/api.yaml"] = Self.twoDeployments(image: "api:1.0")
    pullRequest.head["k8s/web.yaml"] = Self.privileged
    try pullRequest.publish(to: double)
    _ = try review(double, pullRequest)
    let before = double.with { $0.reviewComments }
    let web = before.filter { $0["path"] as? String == "k8s/web.yaml" }
    XCTAssertGreaterThanOrEqual(web.count, 2)
    let fixedIDs = web.prefix(2).compactMap { $0["id"] as? Int }
    let replied = fixedIDs[1]
    double.reply(to: replied)

    // The push: the two suggestions committed in web.yaml, a line added at the top of api.yaml.
    let payload = try JSONSerialization.data(withJSONObject: ["comments": Array(web.prefix(2))])
    let committed = try GitHubReview.applySuggestions(
      original: pullRequest.read("k8s/web.yaml"), payload: String(decoding: payload, as: UTF8.self))
    pullRequest.head["k8s/web.yaml"] = String(decoding: committed, as: UTF8.self)
    pullRequest.head["k8s/api.yaml"] = "# owner: team-a\n" + Self.twoDeployments(image: "api:1.0")
    try pullRequest.publish(to: double)
    double.headSHA = "2222222222222222222222222222222222222222"
    double.markOutdated(Set(fixedIDs))

    let run = try review(double, pullRequest)
    guard case .posted(_, let deleted, _) = run.outcome else { return XCTFail("\(run.outcome)") }
    XCTAssertEqual(deleted, 1)
    XCTAssertEqual(double.with { $0.refused422 }, 0)
    let after = double.with { $0.reviewComments }
    let ids = Set(after.compactMap { $0["id"] as? Int })
    XCTAssertFalse(ids.contains(fixedIDs[0]), "the outdated comment is deleted")
    XCTAssertTrue(ids.contains(replied), "the comment a person replied to is kept")
    // The api.yaml comments only moved: none deleted, none posted again.
    let apiBefore = before.filter { $0["path"] as? String == "k8s/api.yaml" }.compactMap { $0["id"] as? Int }
    XCTAssertFalse(apiBefore.isEmpty)
    XCTAssertTrue(Set(apiBefore).isSubset(of: ids))
    XCTAssertEqual(after.filter { $0["path"] as? String == "k8s/api.yaml" }.count, apiBefore.count)
    // No fingerprint twice among the current comments.
    let current = after.filter { !($0["line"] is NSNull) && $0["in_reply_to_id"] == nil }
    XCTAssertEqual(Set(Self.fingerprints(current)).count, Self.fingerprints(current).count)
  }

  /// More than 30 suggestions: 30 in the review, the others counted in the summary with their
  /// fixes in its patch, and posted by the next runs, at most 30 each.
  func testMoreThanThirtySuggestions() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try PullRequest()
    // At least one suggestion per deployment.
    pullRequest.head["k8s/many.yaml"] = (1...34).map { Self.deployment("app\($0)") }.joined(separator: "---\n")
    try pullRequest.publish(to: double)
    let first = try review(double, pullRequest)
    guard case .posted(let posted, _, _) = first.outcome else { return XCTFail("\(first.outcome)") }
    XCTAssertEqual(posted, 30)
    XCTAssertGreaterThanOrEqual(first.plan.postponed, 4)
    let total = posted + first.plan.postponed
    let summary = try XCTUnwrap(Self.summary(double))
    XCTAssertTrue(summary.body.contains("\(first.plan.postponed) more comments"), summary.body)
    XCTAssertNotNil(Self.summaryPatch(summary.body))

    var runs = 1
    var postponed = first.plan.postponed
    while postponed > 0 && runs < 10 {
      let next = try review(double, pullRequest)
      guard case .posted(let more, _, _) = next.outcome else { return XCTFail("\(next.outcome)") }
      XCTAssertEqual(more, min(30, postponed))
      XCTAssertEqual(next.plan.alreadyPosted, total - postponed)
      postponed = next.plan.postponed
      runs += 1
    }
    XCTAssertEqual(postponed, 0)
    let state = double.with { $0 }
    XCTAssertEqual(state.reviews.count, runs)
    XCTAssertEqual(state.reviewComments.count, total)
    XCTAssertEqual(state.refused422, 0)
    let expected = Pipeline().process(path: "k8s/many.yaml", bytes: pullRequest.read("k8s/many.yaml")).fixed
    XCTAssertEqual(try Self.committingSuggestions(double, pullRequest, path: "k8s/many.yaml"), expected)
    // Nothing is left for the summary's patch of safe fixes once every suggestion is on the
    // pull request (a patch of unsafe fixes may follow: nginx's image runs as root).
    _ = try review(double, pullRequest)
    let last = try XCTUnwrap(Self.summary(double)).body
    XCTAssertFalse(last.contains("not on the changed lines"), last)
    XCTAssertFalse(last.contains("more comments"), last)
  }

  /// A read-only token (a pull request from a fork): 403 on the write, annotations instead,
  /// within GitHub's 10 per type per step, the rest in one line.
  func testForkTokenFallsBackToAnnotations() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    double.with { $0.readOnly = true }
    let pullRequest = try PullRequest()
    pullRequest.head["k8s/many.yaml"] = (1...14).map { Self.deployment("app\($0)") }.joined(separator: "---\n")
    try pullRequest.publish(to: double)
    let run = try review(double, pullRequest)
    guard case .annotations(let reason) = run.outcome else { return XCTFail("\(run.outcome)") }
    XCTAssertTrue(reason.contains("Resource not accessible by integration"), reason)
    XCTAssertEqual(double.with { $0.refused403 }, 1, "nothing is written after the first refusal")
    let lines = run.output.split(separator: "\n")
    XCTAssertEqual(lines.filter { $0.hasPrefix("::warning file=k8s/many.yaml,line=") }.count, 10, run.output)
    let notices = lines.filter { $0.hasPrefix("::notice") }
    XCTAssertEqual(notices.count, 1, run.output)
    XCTAssertTrue(notices.first?.contains("\(run.plan.annotations.count - 10) more warnings not shown") ?? false, run.output)
    XCTAssertEqual(lines.filter { $0.hasPrefix("k8s/many.yaml:") }.count, run.plan.annotations.count - 10)
  }

  /// A CRLF file gets no suggestion (GitHub cannot carry a carriage return in one); the summary
  /// says why.
  func testCRLFFileIsSkipped() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try PullRequest()
    pullRequest.head["k8s/crlf.yaml"] = Self.deployment("win").replacingOccurrences(of: "\n", with: "\r\n")
    pullRequest.head["k8s/web.yaml"] = Self.deployment("web")
    try pullRequest.publish(to: double)
    _ = try review(double, pullRequest)
    let comments = double.with { $0.reviewComments }
    XCTAssertFalse(comments.isEmpty)
    XCTAssertFalse(comments.contains { $0["path"] as? String == "k8s/crlf.yaml" })
    let summary = try XCTUnwrap(Self.summary(double)).body
    XCTAssertTrue(summary.contains("- `k8s/crlf.yaml`: CRLF line breaks"), summary)
  }

  /// A template is not a manifest: skipped, with the reason, and the rest is reviewed.
  func testTemplateFileIsSkipped() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try PullRequest()
    pullRequest.head["chart/templates/deploy.yaml"] = Self.deployment("web", image: "{{ .Values.image }}")
    pullRequest.head["k8s/web.yaml"] = Self.deployment("web")
    try pullRequest.publish(to: double)
    let run = try review(double, pullRequest)
    guard case .posted = run.outcome else { return XCTFail("\(run.outcome)") }
    XCTAssertFalse(double.with { $0.reviewComments }.contains { $0["path"] as? String == "chart/templates/deploy.yaml" })
    let summary = try XCTUnwrap(Self.summary(double)).body
    XCTAssertTrue(summary.contains("- `chart/templates/deploy.yaml`: line 16, column"), summary)
    XCTAssertTrue(summary.contains("template syntax"), summary)
  }

  /// `--dry-run`: the reads happen, the writes are printed, not sent.
  func testDryRunSendsNoWrites() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try PullRequest()
    pullRequest.head["k8s/web.yaml"] = Self.deployment("web")
    try pullRequest.publish(to: double)
    let run = try review(double, pullRequest, dryRun: true)
    XCTAssertFalse(double.with { $0.requests }.contains { !$0.hasPrefix("GET ") })
    XCTAssertTrue(run.output.contains("POST \(double.apiURL)/repos/octo/app/pulls/7/reviews\n{"), run.output)
    XCTAssertTrue(run.output.contains("POST \(double.apiURL)/repos/octo/app/issues/7/comments\n{"), run.output)
  }

  /// The double refuses a review with a comment outside the diff as GitHub does (422), and the
  /// client reports GitHub's message; without the token it answers 401.
  func testDoubleRefusesWhatGitHubRefuses() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try Self.imageChange()
    try pullRequest.publish(to: double)
    let client = GitHubClient(apiURL: double.apiURL, token: double.token, timeout: 10)
    let outside: [String: Any] = [
      "commit_id": double.headSHA, "event": "COMMENT", "body": "x",
      "comments": [["path": "k8s/api.yaml", "line": 40, "side": "RIGHT", "body": "outside"]],
    ]
    XCTAssertThrowsError(try client.post("/repos/octo/app/pulls/7/reviews", outside)) { error in
      let apiError = error as? GitHubClient.APIError
      XCTAssertEqual(apiError?.status, 422)
      XCTAssertTrue(apiError?.message.contains("must be part of the diff") ?? false, "\(error)")
    }
    XCTAssertEqual(double.with { $0.reviews.count }, 0)
    let anonymous = GitHubClient(apiURL: double.apiURL, token: nil, timeout: 10)
    XCTAssertThrowsError(try anonymous.list("/repos/octo/app/pulls/7/files")) { error in
      XCTAssertEqual((error as? GitHubClient.APIError)?.status, 401)
    }
  }

  // MARK: Helpers

  @discardableResult
  static func run(_ arguments: [String], cwd: URL? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = cwd }
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    // git diff --no-index exits 1 when the files differ.
    if process.terminationStatus > 1 || (arguments.starts(with: ["git", "apply"]) && process.terminationStatus != 0) {
      throw NSError(
        domain: "run", code: Int(process.terminationStatus),
        userInfo: [NSLocalizedDescriptionKey: "\(arguments): " + String(decoding: errors, as: UTF8.self)])
    }
    return String(decoding: data, as: UTF8.self)
  }
}
