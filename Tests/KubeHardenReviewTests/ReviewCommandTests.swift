import Foundation
import XCTest

@testable import KubeHardenReview

/// `kubeharden review` as the Action runs it: the built executable, the environment GitHub
/// Actions sets, the checkout as the working directory, the GitHub double as the API.
final class ReviewCommandTests: XCTestCase {
  /// The executable built with the tests (next to the `.xctest` bundle), or KUBEHARDEN_BINARY.
  static var binary: URL? {
    var candidates: [URL] = []
    if let configured = ProcessInfo.processInfo.environment["KUBEHARDEN_BINARY"], !configured.isEmpty {
      candidates.append(URL(fileURLWithPath: configured))
    }
    for bundle in [Bundle.main] + Bundle.allBundles {
      candidates.append(bundle.bundleURL.appendingPathComponent("kubeharden"))
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("kubeharden"))
    }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kubeharden"))
    return candidates.first { url in
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
        && FileManager.default.isExecutableFile(atPath: url.path)
    }
  }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  func kubeharden(_ arguments: [String], environment: [String: String], cwd: URL) throws -> Result {
    let binary = try XCTUnwrap(Self.binary, "the kubeharden executable is not built next to the tests")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = cwd
    process.environment = environment.merging(["PATH": "/usr/bin:/bin", "HOME": cwd.path]) { a, _ in a }
    let out = cwd.appendingPathComponent(".stdout")
    let err = cwd.appendingPathComponent(".stderr")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: out)
    let errHandle = try FileHandle(forWritingTo: err)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
  }

  func environment(_ double: GitHubDouble, _ pullRequest: ReviewScenarioTests.PullRequest, event: String = "pull_request") throws
    -> [String: String]
  {
    let eventFile = pullRequest.root.appendingPathComponent(".event.json")
    let payload: [String: Any] = [
      "pull_request": [
        "number": double.number, "head": ["sha": double.headSHA, "repo": ["full_name": "fork/app"]], "base": ["sha": "0000"],
      ],
      "repository": ["full_name": double.repository],
    ]
    try JSONSerialization.data(withJSONObject: payload).write(to: eventFile)
    return [
      "GITHUB_API_URL": double.apiURL, "GITHUB_TOKEN": double.token, "GITHUB_REPOSITORY": double.repository,
      "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": eventFile.path,
    ]
  }

  func testReviewThroughTheExecutable() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try ReviewScenarioTests.PullRequest()
    pullRequest.head["k8s/web.yaml"] = ReviewScenarioTests.privileged
    pullRequest.head["k8s/broken.yaml"] = "a: [\n"
    try pullRequest.publish(to: double)
    let env = try environment(double, pullRequest)

    let dry = try kubeharden(["review", "--dry-run"], environment: env, cwd: pullRequest.root)
    XCTAssertEqual(dry.status, 0, dry.stderr)
    XCTAssertTrue(dry.stdout.contains("POST \(double.apiURL)/repos/octo/app/pulls/7/reviews"), dry.stdout)
    XCTAssertEqual(double.with { $0.reviews.count }, 0)

    let run = try kubeharden(["review"], environment: env, cwd: pullRequest.root)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("kubeharden review: posted "), run.stderr)
    XCTAssertTrue(run.stderr.contains("k8s/broken.yaml:2:1: error: "), run.stderr)
    XCTAssertEqual(double.with { $0.reviews.count }, 1)
    let summary = try XCTUnwrap(ReviewScenarioTests.summary(double)).body
    XCTAssertTrue(summary.contains("- `k8s/broken.yaml`: line 2, column 1: "), summary)

    // Only the paths given: the summary is edited, no other review.
    let named = try kubeharden(["review", "./k8s/web.yaml"], environment: env, cwd: pullRequest.root)
    XCTAssertEqual(named.status, 0, named.stderr)
    XCTAssertTrue(named.stderr.contains("posted 0 new comments"), named.stderr)
    XCTAssertEqual(double.with { $0.reviews.count }, 1)
  }

  func testInputErrorsExit2() throws {
    let double = try GitHubDouble()
    defer { double.stop() }
    let pullRequest = try ReviewScenarioTests.PullRequest()
    try pullRequest.publish(to: double)
    let push = try kubeharden(["review"], environment: try environment(double, pullRequest, event: "push"), cwd: pullRequest.root)
    XCTAssertEqual(push.status, 2)
    XCTAssertTrue(push.stderr.contains("GITHUB_EVENT_NAME is 'push'"), push.stderr)
    var env = try environment(double, pullRequest)
    env["GITHUB_EVENT_PATH"] = pullRequest.root.appendingPathComponent("missing.json").path
    let missing = try kubeharden(["review"], environment: env, cwd: pullRequest.root)
    XCTAssertEqual(missing.status, 2)
    XCTAssertTrue(missing.stderr.contains("GITHUB_EVENT_PATH: cannot read"), missing.stderr)
    let noPath = try kubeharden(["review", "nope.yaml"], environment: try environment(double, pullRequest), cwd: pullRequest.root)
    XCTAssertEqual(noPath.status, 2)
    XCTAssertTrue(noPath.stderr.contains("nope.yaml:1:1: error: no such file or directory"), noPath.stderr)
    XCTAssertTrue(double.with { $0.requests }.isEmpty, "nothing is asked of GitHub on an input error")
  }
}
