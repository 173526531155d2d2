import Foundation
import KubeHardenOutput
import XCTest

/// Round trips between the outputs and `fix`, over every file of `../shared/corpus/dev` and every
/// `Fixtures/**/*.input.yaml`:
///
/// - `diff FILE` applied with `patch -p1` (and accepted by `git apply --check`) gives `fix`'s bytes;
/// - the suggestions of `check --format github`, committed the way GitHub does, give `fix`'s bytes
///   (LF files; GitHub cannot carry a carriage return in a suggestion);
/// - `check --format sarif` and `--format rdjson` validate against their JSON schemas.
///
/// Every file is copied into a temporary tree and named by a relative path, as CI would.
final class OutputRoundTripTests: XCTestCase {
  /// One input: the copy's path relative to the tree's root (`corpus/...` or `fixtures/...`).
  struct Input: Sendable {
    var source: URL
    var relative: String
  }

  /// The temporary tree: `original/` (read only by the tests), `patched/` (the diffs applied),
  /// `fixed/` (after one `fix` run over every file).
  struct Workspace: Sendable {
    var root: URL
    var inputs: [Input]
    var corpusFolder: String?
    var fixturesFolder: String?
    /// Files `fix` reported an error for (left unchanged).
    var errors: Set<String>
    var original: URL { root.appendingPathComponent("original") }
    var patched: URL { root.appendingPathComponent("patched") }
    var fixed: URL { root.appendingPathComponent("fixed") }

    func bytes(_ input: Input, in folder: URL) throws -> [UInt8] {
      try Files.read(folder.appendingPathComponent(input.relative))
    }
  }

  enum Prepared: Sendable {
    case ready(Workspace)
    case skipped(String)
    case failed(String)
  }

  nonisolated(unsafe) static var createdRoot: URL?

  /// Built once for all tests of the class.
  static let prepared: Prepared = prepare()

  static func prepare() -> Prepared {
    guard TestPaths.binary != nil else { return .skipped("SKIPPED: the kubeharden binary was not found next to the test bundle") }
    let fileManager = FileManager.default
    var sources: [(URL, String)] = []
    var corpusFolder: String?
    var fixturesFolder: String?
    if let shared = TestPaths.shared, case let corpus = shared.appendingPathComponent("corpus/dev"),
      fileManager.fileExists(atPath: corpus.path)
    {
      corpusFolder = "corpus"
      sources += files(under: corpus) { ["yaml", "yml", "json"].contains($0.pathExtension.lowercased()) }.map { ($0.1, "corpus/" + $0.0) }
    } else {
      print("SKIPPED: ../shared/corpus/dev is not present next to the repository; round trips cover the fixtures only")
    }
    let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Fixtures")
    let fixtureFiles = files(under: fixtures) { $0.lastPathComponent.hasSuffix(".input.yaml") }
    if !fixtureFiles.isEmpty {
      fixturesFolder = "fixtures"
      sources += fixtureFiles.map { ($0.1, "fixtures/" + $0.0) }
    }
    guard !sources.isEmpty else {
      return .skipped("SKIPPED: neither ../shared/corpus/dev nor Fixtures/**/*.input.yaml is present; no round-trip inputs")
    }

    let root = fileManager.temporaryDirectory.appendingPathComponent("kubeharden-roundtrip-\(UUID().uuidString)")
      .resolvingSymlinksInPath()
    createdRoot = root
    let inputs = sources.map { Input(source: $0.0, relative: $0.1) }
    do {
      for folder in ["original", "patched", "fixed"] {
        for input in inputs {
          let destination = root.appendingPathComponent(folder).appendingPathComponent(input.relative)
          try fileManager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
          try fileManager.copyItem(at: input.source, to: destination)
        }
      }
    } catch {
      return .failed("cannot copy the inputs into \(root.path): \(error)")
    }
    // One fix run over every file, named explicitly (no directory walk).
    let fixRun = runKubeharden(["fix", "-q"] + inputs.map(\.relative), cwd: root.appendingPathComponent("fixed"), timeout: 600)
    guard fixRun.status == 0 || fixRun.status == 2 else {
      return .failed("kubeharden fix over the inputs exited \(fixRun.status): \(fixRun.stderr)")
    }
    var errors = Set<String>()
    for line in fixRun.stderr.nonEmptyLines {
      for input in inputs where line.hasPrefix(input.relative + ":") && line.contains(": error: ") { errors.insert(input.relative) }
    }
    if fixRun.status == 2 && errors.isEmpty { return .failed("fix exited 2 without naming a file: \(fixRun.stderr)") }
    return .ready(
      Workspace(root: root, inputs: inputs, corpusFolder: corpusFolder, fixturesFolder: fixturesFolder, errors: errors))
  }

  /// Files under `folder` (recursively) that `keep` accepts, as (path relative to `folder`, URL), sorted.
  static func files(under folder: URL, _ keep: (URL) -> Bool) -> [(String, URL)] {
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var found: [(String, URL)] = []
    for case let relative as String in walker {
      let url = folder.appendingPathComponent(relative)
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue, keep(url) else {
        continue
      }
      found.append((relative, url))
    }
    return found.sorted { $0.0 < $1.0 }
  }

  override class func tearDown() {
    if let root = createdRoot { try? FileManager.default.removeItem(at: root) }
    createdRoot = nil
    super.tearDown()
  }

  func workspace() throws -> Workspace {
    switch Self.prepared {
    case .ready(let workspace): return workspace
    case .skipped(let message):
      print(message)
      throw XCTSkip(message)
    case .failed(let message):
      XCTFail(message)
      throw XCTSkip("setup failed: \(message)")
    }
  }

  func tool(_ name: String) throws -> URL {
    guard let url = findExecutable(name) else {
      let message = "SKIPPED: \(name) is not installed"
      print(message)
      throw XCTSkip(message)
    }
    return url
  }

  // MARK: (a) diff | patch -p1 == fix

  func testDiffAppliedWithPatchEqualsFix() throws {
    let workspace = try workspace()
    let patch = try tool("patch")
    let git = try tool("git")
    // git must not find a repository above the temporary tree (it would then ignore the paths).
    let gitEnvironment = ["GIT_CEILING_DIRECTORIES": workspace.root.deletingLastPathComponent().path]
    var changed = 0
    var unchanged = 0
    var errors = 0
    var concatenated: [UInt8] = []
    for input in workspace.inputs {
      let original = try workspace.bytes(input, in: workspace.original)
      let fixed = try workspace.bytes(input, in: workspace.fixed)
      let diff = run(["diff", "-q", input.relative], cwd: workspace.original)
      concatenated += diff.stdout
      if workspace.errors.contains(input.relative) {
        errors += 1
        XCTAssertEqual(diff.status, 2, "\(input.relative): fix failed but diff exited \(diff.status)")
        XCTAssertEqual(diff.stdout, [], "\(input.relative): diff printed a patch for a file with an error")
        XCTAssertEqual(fixed, original, "\(input.relative): fix changed a file with an error")
        continue
      }
      if fixed == original {
        unchanged += 1
        XCTAssertEqual(diff.status, 0, "\(input.relative): nothing to fix but diff exited \(diff.status): \(diff.stderr)")
        XCTAssertEqual(diff.stdout, [], "\(input.relative): nothing to fix but diff printed a patch")
        continue
      }
      changed += 1
      XCTAssertEqual(diff.status, 1, "\(input.relative): diff exited \(diff.status): \(diff.stderr)")
      let header = "--- a/\(input.relative)\n+++ b/\(input.relative)\n"
      XCTAssertTrue(diff.stdout.starts(with: Array(header.utf8)), "\(input.relative): the patch does not start with \(header)")

      let check = runProcess(
        git, ["apply", "--check", "--verbose", "-"], stdin: diff.stdout, cwd: workspace.original, env: gitEnvironment)
      XCTAssertEqual(check.status, 0, "\(input.relative): git apply --check: \(check.stderr)")
      XCTAssertTrue(check.stderr.contains("Checking patch \(input.relative)"), "\(input.relative): git apply checked nothing: \(check.stderr)")

      let applied = runProcess(
        patch, ["-p1", "--fuzz=0", "--batch", "--no-backup-if-mismatch", "--silent"], stdin: diff.stdout, cwd: workspace.patched)
      XCTAssertEqual(applied.status, 0, "\(input.relative): patch -p1: \(String(decoding: applied.stdout, as: UTF8.self)) \(applied.stderr)")
      let patched = try workspace.bytes(input, in: workspace.patched)
      if patched != fixed {
        XCTFail("\(input.relative): diff | patch -p1 differs from fix at byte \(firstDifference(patched, fixed))")
      }
    }
    XCTAssertEqual(Files.temporaryLeftovers(in: workspace.patched), [])
    let leftovers = Self.files(under: workspace.patched) { [".rej", ".orig"].contains("." + $0.pathExtension) }
    XCTAssertEqual(leftovers.map(\.0), [], "patch left reject or backup files")

    // One diff over every file is the per-file diffs one after the other.
    let whole = run(["diff", "-q"] + workspace.inputs.map(\.relative), cwd: workspace.original, timeout: 600)
    XCTAssertEqual(whole.status, workspace.errors.isEmpty ? (changed > 0 ? 1 : 0) : 2, whole.stderr)
    XCTAssertTrue(whole.stdout == concatenated, "diff over all files differs from the per-file diffs")

    print(
      "OutputRoundTrip diff: \(workspace.inputs.count) files: \(changed) changed (patch -p1 == fix, git apply --check ok), "
        + "\(unchanged) unchanged, \(errors) with errors")
  }

  /// One diff over every file, with other context sizes, applied to a copy of the whole tree.
  func testWholeTreeDiffsWithOtherContextSizesApply() throws {
    let workspace = try workspace()
    let patch = try tool("patch")
    let git = try tool("git")
    for context in [0, 1, 7] {
      let folder = workspace.root.appendingPathComponent("patched-U\(context)")
      try? FileManager.default.removeItem(at: folder)
      try FileManager.default.copyItem(at: workspace.original, to: folder)
      defer { try? FileManager.default.removeItem(at: folder) }
      let diff = run(["diff", "-q", "-U", "\(context)"] + workspace.inputs.map(\.relative), cwd: workspace.original, timeout: 600)
      XCTAssertTrue([0, 1, 2].contains(diff.status), "-U \(context): \(diff.stderr)")
      let gitArguments = ["apply", "--check"] + (context == 0 ? ["--unidiff-zero"] : []) + ["-"]
      let check = runProcess(
        git, gitArguments, stdin: diff.stdout, cwd: workspace.original,
        env: ["GIT_CEILING_DIRECTORIES": workspace.root.deletingLastPathComponent().path])
      XCTAssertEqual(check.status, 0, "-U \(context): git apply --check: \(check.stderr)")
      let applied = runProcess(patch, ["-p1", "--fuzz=0", "--batch", "--no-backup-if-mismatch", "--silent"], stdin: diff.stdout, cwd: folder)
      XCTAssertEqual(applied.status, 0, "-U \(context): \(String(decoding: applied.stdout, as: UTF8.self)) \(applied.stderr)")
      var mismatches: [String] = []
      for input in workspace.inputs where try workspace.bytes(input, in: folder) != workspace.bytes(input, in: workspace.fixed) {
        mismatches.append(input.relative)
      }
      XCTAssertEqual(mismatches, [], "-U \(context): diff | patch -p1 differs from fix")
    }
  }

  // MARK: (b) GitHub review suggestions == fix

  func testGitHubSuggestionsEqualFix() throws {
    let workspace = try workspace()
    var checked = 0
    var withSuggestions = 0
    var crlf = 0
    var errors = 0
    for input in workspace.inputs {
      let original = try workspace.bytes(input, in: workspace.original)
      let fixed = try workspace.bytes(input, in: workspace.fixed)
      let result = run(["check", "-q", "--format", "github", input.relative], cwd: workspace.original)
      if workspace.errors.contains(input.relative) {
        errors += 1
        XCTAssertEqual(result.status, 2, "\(input.relative): \(result.stderr)")
        continue
      }
      // A file may change and check still exit 0: a fix whose finding is a note (privileged
      // absent, already false by the API's default) does not count for the exit status.
      XCTAssertTrue([0, 1].contains(result.status), "\(input.relative): check exited \(result.status): \(result.stderr)")
      let payload = String(decoding: result.stdout, as: UTF8.self)
      guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any],
        let comments = object["comments"] as? [[String: Any]]
      else {
        XCTFail("\(input.relative): not a review payload: \(payload.prefix(300))")
        continue
      }
      for comment in comments {
        XCTAssertEqual(comment["path"] as? String, input.relative, "\(input.relative): comment on another path")
      }
      if original.contains(UInt8(ascii: "\r")) {
        crlf += 1
        continue
      }
      checked += 1
      if comments.contains(where: { ($0["body"] as? String)?.contains("suggestion\n") ?? false }) { withSuggestions += 1 }
      let committed: [UInt8]
      do {
        committed = try GitHubReview.applySuggestions(original: original, payload: payload, path: input.relative)
      } catch {
        XCTFail("\(input.relative): applySuggestions: \(error)")
        continue
      }
      if committed != fixed {
        XCTFail("\(input.relative): committing every suggestion differs from fix at byte \(firstDifference(committed, fixed))")
      }
      // GitHub's rule, implemented here independently of GitHubReview.
      switch commitSuggestions(original, comments: comments) {
      case .success(let own):
        if own != fixed {
          XCTFail("\(input.relative): suggestions committed by the test's own rule differ from fix at byte \(firstDifference(own, fixed))")
        }
      case .failure(let message):
        XCTFail("\(input.relative): \(message)")
      }
    }
    print(
      "OutputRoundTrip github: \(checked) LF files checked (\(withSuggestions) with suggestions), \(crlf) skipped as CRLF, "
        + "\(errors) skipped with errors")
  }

  /// Commits every ```` ```suggestion ```` of `comments` the way GitHub does for an LF file: lines
  /// `start_line...line` become the block's lines, each ending with a line break except where the
  /// last replaced line had none (the end of a file without a final line break).
  func commitSuggestions(_ original: [UInt8], comments: [[String: Any]]) -> Result<[UInt8], SuggestionError> {
    var lines: [[UInt8]] = original.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    let finalBreak = lines.last == []
    if finalBreak { lines.removeLast() }
    var replacements: [(first: Int, last: Int, content: [String])] = []
    for comment in comments {
      guard let body = comment["body"] as? String, let content = suggestionBlock(body) else { continue }
      guard let last = comment["line"] as? Int else { return .failure(SuggestionError("a comment without a line")) }
      let first = comment["start_line"] as? Int ?? last
      guard 1 <= first, first <= last, last <= lines.count else {
        return .failure(SuggestionError("suggestion on lines \(first)...\(last) of a \(lines.count)-line file"))
      }
      if (comment["side"] as? String) != "RIGHT" { return .failure(SuggestionError("a comment not on the RIGHT side")) }
      replacements.append((first, last, content))
    }
    replacements.sort { $0.first < $1.first }
    for (a, b) in zip(replacements, replacements.dropFirst()) where b.first <= a.last {
      return .failure(SuggestionError("suggestions on lines \(a.first)...\(a.last) and \(b.first)...\(b.last) overlap"))
    }
    var output: [UInt8] = []
    var next = 1
    func emit(_ line: [UInt8], number: Int) {
      output += line
      if number < lines.count || finalBreak { output.append(UInt8(ascii: "\n")) }
    }
    for replacement in replacements {
      while next < replacement.first {
        emit(lines[next - 1], number: next)
        next += 1
      }
      let lastHasBreak = replacement.last < lines.count || finalBreak
      for (index, line) in replacement.content.enumerated() {
        output += Array(line.utf8)
        if index < replacement.content.count - 1 || lastHasBreak { output.append(UInt8(ascii: "\n")) }
      }
      next = replacement.last + 1
    }
    while next <= lines.count {
      emit(lines[next - 1], number: next)
      next += 1
    }
    return .success(output)
  }

  struct SuggestionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  /// The lines between a ```` ```suggestion ```` fence and its closing fence.
  func suggestionBlock(_ body: String) -> [String]? {
    let lines = body.components(separatedBy: "\n")
    guard let open = lines.firstIndex(where: { $0.hasPrefix("```") && $0.drop(while: { $0 == "`" }) == "suggestion" }) else {
      return nil
    }
    let fence = String(lines[open].prefix { $0 == "`" })
    guard let close = lines[(open + 1)...].firstIndex(where: { $0 == fence }) else { return nil }
    return Array(lines[(open + 1)..<close])
  }

  // MARK: (c) SARIF and rdjson validate

  func testSARIFAndRDJSONReportsValidate() throws {
    let workspace = try workspace()
    let python = try tool("python3")
    let script = TestPaths.repositoryRoot.appendingPathComponent("Scripts/validate-reports.py")
    let folders = [workspace.corpusFolder, workspace.fixturesFolder].compactMap { $0 }
    var counts: [String: Int] = [:]
    for format in ["sarif", "rdjson"] {
      let result = run(["check", "-q", "--format", format] + folders, cwd: workspace.original, timeout: 600)
      XCTAssertTrue([1, 2].contains(result.status), "check --format \(format) exited \(result.status): \(result.stderr)")
      XCTAssertEqual(result.status == 2, !workspace.errors.isEmpty, result.stderr)
      let report = workspace.root.appendingPathComponent("report.\(format).json")
      try Files.write(result.stdout, to: report)
      let validation = runProcess(python, [script.path, format, report.path])
      if validation.status == 77 {
        let message = "SKIPPED: validate-reports.py cannot validate here: \(validation.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        print(message)
        throw XCTSkip(message)
      }
      XCTAssertEqual(
        validation.status, 0, "\(format) report invalid: \(String(decoding: validation.stdout, as: UTF8.self)) \(validation.stderr)")

      guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any] else {
        XCTFail("\(format) report is not a JSON object")
        continue
      }
      if format == "sarif" {
        let run = (object["runs"] as? [[String: Any]])?.first
        counts[format] = (run?["results"] as? [Any])?.count
        let notifications = ((run?["invocations"] as? [[String: Any]])?.first?["toolExecutionNotifications"] as? [Any])?.count ?? 0
        XCTAssertEqual(notifications, workspace.errors.count, "one SARIF notification per file with an error")
      } else {
        let diagnostics = object["diagnostics"] as? [[String: Any]] ?? []
        let parseErrors = diagnostics.filter { ($0["code"] as? [String: Any])?["value"] as? String == "parse-error" }
        XCTAssertEqual(parseErrors.count, workspace.errors.count, "one rdjson error diagnostic per file with an error")
        counts[format] = diagnostics.count - parseErrors.count
      }
    }
    XCTAssertEqual(counts["sarif"], counts["rdjson"], "SARIF results and rdjson findings differ in number")
    print(
      "OutputRoundTrip reports: sarif and rdjson valid over \(folders.joined(separator: ", ")) "
        + "(\(workspace.inputs.count) files, \(counts["sarif"] ?? 0) findings, \(workspace.errors.count) files with errors)")
  }
}

/// The offset of the first byte where `a` and `b` differ, with a little context.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
  var index = 0
  while index < a.count, index < b.count, a[index] == b[index] { index += 1 }
  func around(_ bytes: [UInt8]) -> String {
    let lower = max(0, index - 40)
    let upper = min(bytes.count, index + 40)
    return String(decoding: bytes[lower..<upper], as: UTF8.self).debugDescription
  }
  return "\(index) (sizes \(a.count), \(b.count)): \(around(a)) vs \(around(b))"
}
