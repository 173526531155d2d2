import Foundation
import XCTest

@testable import KubeHardenOutput

/// Round-trips `UnifiedDiff.render` output through the real `patch -p1` and `git apply`
/// (and compares with GNU `diff -u` when it is installed).
final class UnifiedDiffTests: XCTestCase {
  // MARK: - Case table

  private struct DiffCase {
    var label: String
    var name: String
    var old: [UInt8]
    var new: [UInt8]
    var context: Int = 3
    /// Expected number of `@@` hunks, when the case is about hunk grouping.
    var hunks: Int? = nil
  }

  private static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  private static func numbered(_ range: ClosedRange<Int>, crlf: Bool = false) -> String {
    range.map { "line \($0)" + (crlf ? "\r\n" : "\n") }.joined()
  }

  private static let deployment = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
            - name: web
              image: nginx:1.25
              ports:
                - containerPort: 80

    """

  private static let hardenedDeployment = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          automountServiceAccountToken: false
          containers:
            - name: web
              image: nginx:1.25
              securityContext:
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
              ports:
                - containerPort: 80

    """

  private static var cases: [DiffCase] {
    let ten = numbered(1...10)
    let twenty = numbered(1...20)
    let bom = "\u{FEFF}"
    var list: [DiffCase] = [
      DiffCase(
        label: "insert at start", name: "start.yaml",
        old: bytes(ten), new: bytes("new first\n" + ten)),
      DiffCase(
        label: "insert in middle", name: "middle.yaml",
        old: bytes(ten), new: bytes(numbered(1...5) + "inserted a\ninserted b\n" + numbered(6...10))),
      DiffCase(
        label: "insert at end", name: "end.yaml",
        old: bytes(ten), new: bytes(ten + "appended\n")),
      DiffCase(
        label: "delete at start", name: "del-start.yaml",
        old: bytes(ten), new: bytes(numbered(3...10))),
      DiffCase(
        label: "delete in middle", name: "del-mid.yaml",
        old: bytes(ten), new: bytes(numbered(1...4) + numbered(7...10))),
      DiffCase(
        label: "delete at end", name: "del-end.yaml",
        old: bytes(ten), new: bytes(numbered(1...8))),
      DiffCase(
        label: "replace in middle", name: "replace.yaml",
        old: bytes(ten),
        new: bytes(numbered(1...4) + "five!\nsix!\nextra\n" + numbered(7...10))),
      DiffCase(
        label: "CRLF insert", name: "crlf-insert.yaml",
        old: bytes(numbered(1...8, crlf: true)),
        new: bytes(numbered(1...4, crlf: true) + "  runAsNonRoot: true\r\n" + numbered(5...8, crlf: true))),
      DiffCase(
        label: "CRLF replace and final line without newline", name: "crlf-replace.yaml",
        old: bytes(numbered(1...6, crlf: true) + "tail\r"),
        new: bytes(numbered(1...2, crlf: true) + "line 3 changed\r\n" + numbered(4...6, crlf: true) + "tail\r")),
      DiffCase(
        label: "mixed CRLF/LF line-ending change only", name: "eol.yaml",
        old: bytes("a: 1\r\nb: 2\r\nc: 3\r\n"), new: bytes("a: 1\r\nb: 2\nc: 3\r\n")),
      DiffCase(
        label: "old lacks final newline, new adds it", name: "nonl-old.yaml",
        old: bytes("a: 1\nb: 2\nc: 3"), new: bytes("a: 1\nb: 2\nc: 3\n")),
      DiffCase(
        label: "new lacks final newline", name: "nonl-new.yaml",
        old: bytes("a: 1\nb: 2\nc: 3\n"), new: bytes("a: 1\nb: 2\nc: 3")),
      DiffCase(
        label: "both lack final newline, last line changed", name: "nonl-both-last.yaml",
        old: bytes("a: 1\nb: 2\nc: 3"), new: bytes("a: 1\nb: 2\nc: 4")),
      DiffCase(
        label: "both lack final newline, change near end (context)", name: "nonl-both-ctx.yaml",
        old: bytes("a: 1\nb: 2\nc: 3\nd: 4"), new: bytes("a: 1\nb: 2\nb2: 2.5\nc: 3\nd: 4")),
      DiffCase(
        label: "both lack final newline, change far from end", name: "nonl-both-far.yaml",
        old: bytes(ten + "last"), new: bytes("zero\n" + ten + "last")),
      DiffCase(
        label: "append after last line without newline", name: "nonl-append.yaml",
        old: bytes("a: 1\nb: 2"), new: bytes("a: 1\nb: 2\nc: 3\n")),
      DiffCase(
        label: "single line without newline replaced", name: "single.yaml",
        old: bytes("x"), new: bytes("y")),
      DiffCase(
        label: "BOM file, insert after line 1", name: "bom-insert.yaml",
        old: bytes(bom + "a: 1\nb: 2\n"), new: bytes(bom + "a: 1\nz: 0\nb: 2\n")),
      DiffCase(
        label: "BOM removed from line 1", name: "bom-remove.yaml",
        old: bytes(bom + "a: 1\nb: 2\n"), new: bytes("a: 1\nb: 2\n")),
      DiffCase(
        label: "BOM CRLF without final newline", name: "bom-crlf.yaml",
        old: bytes(bom + "a: 1\r\nb: 2"), new: bytes(bom + "a: 1\r\nc: 3\r\nb: 2")),
      DiffCase(
        label: "empty old file", name: "empty-old.yaml",
        old: [], new: bytes("a: 1\nb: 2\n")),
      DiffCase(
        label: "empty old file, new without newline", name: "empty-old-nonl.yaml",
        old: [], new: bytes("a: 1")),
      DiffCase(
        label: "empty new file", name: "empty-new.yaml",
        old: bytes("a: 1\nb: 2\n"), new: []),
      DiffCase(
        label: "whole file replaced", name: "rewrite.yaml",
        old: bytes("a\nb\nc\n"), new: bytes("x\ny\n")),
      DiffCase(
        label: "two far-apart hunks", name: "two-hunks.yaml",
        old: bytes(twenty),
        new: bytes(numbered(1...2) + "A\n" + numbered(3...17) + "B\n" + numbered(18...20)),
        hunks: 2),
      // Changes after line 4 and after line 10: 6 unchanged lines between = 2*context -> merged.
      DiffCase(
        label: "contexts touching merge into one hunk", name: "touch.yaml",
        old: bytes(twenty),
        new: bytes(numbered(1...4) + "A\n" + numbered(5...10) + "B\n" + numbered(11...20)),
        hunks: 1),
      // 7 unchanged lines between = 2*context + 1 -> two hunks.
      DiffCase(
        label: "contexts one apart stay separate", name: "apart.yaml",
        old: bytes(twenty),
        new: bytes(numbered(1...4) + "A\n" + numbered(5...11) + "B\n" + numbered(12...20)),
        hunks: 2),
      DiffCase(
        label: "overlapping contexts, replacements", name: "overlap.yaml",
        old: bytes(twenty),
        new: bytes(numbered(1...5) + "six\n" + numbered(7...8) + "nine\n" + numbered(10...20)),
        hunks: 1),
      DiffCase(
        label: "context 0", name: "ctx0.yaml",
        old: bytes(ten),
        new: bytes(numbered(1...3) + "A\n" + numbered(4...6) + numbered(8...10)),
        context: 0, hunks: 2),
      DiffCase(
        label: "context 1 merges adjacent", name: "ctx1.yaml",
        old: bytes(ten),
        new: bytes(numbered(1...3) + "A\n" + numbered(4...5) + "B\n" + numbered(6...10)),
        context: 1, hunks: 1),
      DiffCase(
        label: "repeated lines (ambiguous alignment)", name: "repeat.yaml",
        old: bytes("- a\n- a\n- a\nx\n- a\n"), new: bytes("- a\n- a\n- a\n- a\nx\n- a\n- a\n")),
      DiffCase(
        label: "realistic hardening insert", name: "deploy.yaml",
        old: bytes(deployment), new: bytes(hardenedDeployment), hunks: 1),
      DiffCase(
        label: "subdirectory path", name: "manifests/prod/deploy.yaml",
        old: bytes(deployment), new: bytes(hardenedDeployment)),
    ]
    list.append(
      DiffCase(
        label: "many hunks", name: "many.yaml",
        old: bytes(numbered(1...100)),
        new: bytes(
          (1...100).map { $0 % 17 == 0 ? "changed \($0)\n" : "line \($0)\n" }.joined()),
        hunks: 5))
    return list
  }

  // MARK: - Round trips

  func testCaseTableIsLargeEnough() {
    XCTAssertGreaterThanOrEqual(Self.cases.count, 15)
  }

  func testRoundTripThroughPatch() throws {
    let patch = try Self.requireTool("patch")
    for c in Self.cases {
      let diff = UnifiedDiff.render(path: c.name, old: c.old, new: c.new, context: c.context)
      XCTAssertFalse(diff.isEmpty, c.label)
      if let hunks = c.hunks {
        XCTAssertEqual(Self.hunkCount(diff), hunks, "\(c.label):\n\(diff)")
      }
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = try Self.writeFile(dir, c.name, c.old)
      let result = try Self.run(patch, ["-p1", "--quiet"], cwd: dir, stdin: diff)
      XCTAssertEqual(result.status, 0, "\(c.label): patch failed: \(result.err)\(result.out)\n\(diff)")
      let applied = (try? Data(contentsOf: file)).map { [UInt8]($0) }
      XCTAssertEqual(applied, c.new, "\(c.label): patch result differs\n\(diff)")
    }
  }

  func testRoundTripThroughGitApply() throws {
    let git = try Self.requireTool("git")
    for c in Self.cases {
      let diff = UnifiedDiff.render(path: c.name, old: c.old, new: c.new, context: c.context)
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = try Self.writeFile(dir, c.name, c.old)
      // Without context lines git apply anchors hunks to the file start/end unless
      // told the diff was made with -U0 (GNU patch needs no such flag).
      let options = ["--whitespace=nowarn"] + (c.context == 0 ? ["--unidiff-zero"] : [])
      let check = try Self.run(git, ["apply", "--check"] + options, cwd: dir, stdin: diff)
      XCTAssertEqual(check.status, 0, "\(c.label): git apply --check failed: \(check.err)\n\(diff)")
      let result = try Self.run(git, ["apply"] + options, cwd: dir, stdin: diff)
      XCTAssertEqual(result.status, 0, "\(c.label): git apply failed: \(result.err)\n\(diff)")
      let applied = (try? Data(contentsOf: file)).map { [UInt8]($0) }
      XCTAssertEqual(applied, c.new, "\(c.label): git apply result differs\n\(diff)")
    }
  }

  /// Byte-for-byte identical to `diff -u --label a/<name> --label b/<name>` (GNU diffutils).
  func testMatchesGNUDiff() throws {
    guard let diffTool = Self.findTool("diff") else { throw XCTSkip("diff not found on PATH") }
    let version = try Self.run(diffTool, ["--version"], cwd: FileManager.default.temporaryDirectory, stdin: "")
    guard version.out.contains("GNU diffutils") else { throw XCTSkip("diff is not GNU diffutils") }
    for c in Self.cases {
      let ours = UnifiedDiff.render(path: c.name, old: c.old, new: c.new, context: c.context)
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      _ = try Self.writeFile(dir, "a/" + c.name, c.old)
      _ = try Self.writeFile(dir, "b/" + c.name, c.new)
      let gnu = try Self.run(
        diffTool,
        [
          "-U", String(c.context), "--label", "a/" + c.name, "--label", "b/" + c.name,
          "a/" + c.name, "b/" + c.name,
        ],
        cwd: dir, stdin: "")
      XCTAssertEqual(gnu.status, 1, "\(c.label): \(gnu.err)")
      XCTAssertEqual(ours, gnu.out, c.label)
    }
  }

  /// GNU patch stops an unquoted name at a blank unless a tab ends it; both tools
  /// must find a file whose path contains spaces.
  func testPathWithSpacesAppliesWithPatchAndGit() throws {
    let patch = try Self.requireTool("patch")
    let git = try Self.requireTool("git")
    let name = "my dir/deploy ment.yaml"
    let old = Self.bytes(Self.deployment)
    let new = Self.bytes(Self.hardenedDeployment)
    let diff = UnifiedDiff.render(path: "./" + name, old: old, new: new)
    XCTAssertTrue(diff.hasPrefix("--- a/\(name)\t\n+++ b/\(name)\t\n"), diff)
    for (tool, args) in [(patch, ["-p1", "--quiet"]), (git, ["apply", "--whitespace=nowarn"])] {
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = try Self.writeFile(dir, name, old)
      let result = try Self.run(tool, args, cwd: dir, stdin: diff)
      XCTAssertEqual(result.status, 0, "\(tool): \(result.err)\(result.out)")
      XCTAssertEqual((try? Data(contentsOf: file)).map { [UInt8]($0) }, new, tool)
    }
  }

  // MARK: - Exact output

  func testEqualInputsGiveEmptyString() {
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", old: [], new: []), "")
    let text = Self.bytes(Self.deployment)
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", old: text, new: text), "")
    let crlf = Self.bytes("a\r\nb")
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", old: crlf, new: crlf, color: true), "")
  }

  func testHeadersAndEmptySideNumbers() {
    XCTAssertEqual(
      UnifiedDiff.render(path: "f.yaml", old: [], new: Self.bytes("a\n")),
      "--- a/f.yaml\n+++ b/f.yaml\n@@ -0,0 +1 @@\n+a\n")
    XCTAssertEqual(
      UnifiedDiff.render(path: "f.yaml", old: Self.bytes("a\nb\n"), new: []),
      "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,2 +0,0 @@\n-a\n-b\n")
    // Pure insertion with no context: the empty old range names the line before it.
    XCTAssertEqual(
      UnifiedDiff.render(
        path: "f.yaml", old: Self.bytes("1\n2\n3\n"), new: Self.bytes("1\n2\nx\n3\n"), context: 0),
      "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,0 +3 @@\n+x\n")
  }

  func testNoNewlineMarkers() {
    XCTAssertEqual(
      UnifiedDiff.render(path: "f", old: Self.bytes("a\nb"), new: Self.bytes("a\nc")),
      """
      --- a/f
      +++ b/f
      @@ -1,2 +1,2 @@
       a
      -b
      \\ No newline at end of file
      +c
      \\ No newline at end of file

      """)
    XCTAssertEqual(
      UnifiedDiff.render(path: "f", old: Self.bytes("x\na\nb"), new: Self.bytes("a\nb")),
      """
      --- a/f
      +++ b/f
      @@ -1,3 +1,2 @@
      -x
       a
       b
      \\ No newline at end of file

      """)
  }

  func testCRLFBytesPreserved() {
    let diff = UnifiedDiff.render(
      path: "f", old: Self.bytes("a\r\nb\r\n"), new: Self.bytes("a\r\nc\r\n"))
    XCTAssertEqual(diff, "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n")
  }

  func testPathNormalization() {
    let old = Self.bytes("a\n")
    let new = Self.bytes("b\n")
    XCTAssertTrue(
      UnifiedDiff.render(path: "./k8s/x.yaml", old: old, new: new)
        .hasPrefix("--- a/k8s/x.yaml\n+++ b/k8s/x.yaml\n"))
    XCTAssertTrue(
      UnifiedDiff.render(path: "/abs/x.yaml", old: old, new: new)
        .hasPrefix("--- a//abs/x.yaml\n+++ b//abs/x.yaml\n"))
    XCTAssertTrue(
      UnifiedDiff.render(path: "x.yaml", old: old, new: new)
        .hasPrefix("--- a/x.yaml\n+++ b/x.yaml\n"))
  }

  func testColor() {
    let esc = "\u{1B}"
    let diff = UnifiedDiff.render(
      path: "f", old: Self.bytes("a\nb\r\nc"), new: Self.bytes("a\nB\r\nc"), color: true)
    XCTAssertEqual(
      diff,
      "\(esc)[1m--- a/f\(esc)[0m\n"
        + "\(esc)[1m+++ b/f\(esc)[0m\n"
        + "\(esc)[36m@@ -1,3 +1,3 @@\(esc)[0m\n"
        + " a\n"
        + "\(esc)[31m-b\r\(esc)[0m\n"
        + "\(esc)[32m+B\r\(esc)[0m\n"
        + " c\n\\ No newline at end of file\n")
    let plain = UnifiedDiff.render(path: "f", old: Self.bytes("a\nb\r\nc"), new: Self.bytes("a\nB\r\nc"))
    XCTAssertFalse(plain.contains(esc))
  }

  func testInvalidUTF8DoesNotCrash() {
    let old: [UInt8] = [0x61, 0x0A, 0xFF, 0xFE, 0x0A, 0xC3]
    let new: [UInt8] = [0x61, 0x0A, 0xFF, 0x0A, 0xC3]
    let diff = UnifiedDiff.render(path: "bin", old: old, new: new)
    XCTAssertTrue(diff.hasPrefix("--- a/bin\n+++ b/bin\n@@ -1,3 +1,3 @@\n a\n-"))
    XCTAssertTrue(diff.contains("\u{FFFD}"))
  }

  /// 10k-line file with a few inserted lines: fast, and still applies.
  func testLargeFileFewInsertions() throws {
    let oldLines = (1...10_000).map { "  key\($0 % 97): value \($0)\n" }
    var newLines = oldLines
    for at in [9_000, 5_000, 1_234, 10] {
      newLines.insert("  securityContext: {runAsNonRoot: true} # \(at)\n", at: at)
    }
    let old = Self.bytes(oldLines.joined())
    let new = Self.bytes(newLines.joined())
    let start = Date()
    let diff = UnifiedDiff.render(path: "big.yaml", old: old, new: new)
    let elapsed = Date().timeIntervalSince(start)
    XCTAssertLessThan(elapsed, 5, "render took \(elapsed)s")
    XCTAssertEqual(Self.hunkCount(diff), 4)
    XCTAssertEqual(diff.split(separator: "\n").filter { $0.hasPrefix("+ ") }.count, 4)

    // A completely rewritten large file must also finish (TOO_EXPENSIVE cap).
    let rewritten = Self.bytes((1...4_000).map { "other \($0)\n" }.joined())
    let start2 = Date()
    let full = UnifiedDiff.render(path: "big.yaml", old: Array(old.prefix(200_000)), new: rewritten)
    XCTAssertLessThan(Date().timeIntervalSince(start2), 30)
    XCTAssertFalse(full.isEmpty)

    if let patch = Self.findTool("patch") {
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = try Self.writeFile(dir, "big.yaml", old)
      let result = try Self.run(patch, ["-p1", "--quiet"], cwd: dir, stdin: diff)
      XCTAssertEqual(result.status, 0, result.err)
      XCTAssertEqual((try? Data(contentsOf: file)).map { [UInt8]($0) }, new)
    }
  }

  // MARK: - Helpers

  private static func hunkCount(_ diff: String) -> Int {
    diff.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("@@ ") }.count
  }

  private static func findTool(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = String(dir) + "/" + name
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  private static func requireTool(_ name: String) throws -> String {
    guard let tool = findTool(name) else { throw XCTSkip("\(name) not found on PATH") }
    return tool
  }

  private static func makeTempDir() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("kubeharden-unidiff-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @discardableResult
  private static func writeFile(_ dir: URL, _ name: String, _ bytes: [UInt8]) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
    return url
  }

  private struct RunResult {
    var status: Int32
    var out: String
    var err: String
  }

  /// Runs a tool with `stdin` fed from a file (no pipe deadlocks) and a hermetic git environment.
  private static func run(_ tool: String, _ args: [String], cwd: URL, stdin: String) throws -> RunResult {
    let io = try makeTempDir()
    defer { try? FileManager.default.removeItem(at: io) }
    let inURL = try writeFile(io, "stdin", Array(stdin.utf8))
    let outURL = try writeFile(io, "stdout", [])
    let errURL = try writeFile(io, "stderr", [])

    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = args
    process.currentDirectoryURL = cwd
    var env = ProcessInfo.processInfo.environment
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    env["GIT_CEILING_DIRECTORIES"] = cwd.deletingLastPathComponent().path
    env["LC_ALL"] = "C"
    env.removeValue(forKey: "POSIXLY_CORRECT")
    env.removeValue(forKey: "GIT_DIR")
    env.removeValue(forKey: "GIT_WORK_TREE")
    process.environment = env
    let inHandle = try FileHandle(forReadingFrom: inURL)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    defer {
      try? inHandle.close()
      try? outHandle.close()
      try? errHandle.close()
    }
    process.standardInput = inHandle
    process.standardOutput = outHandle
    process.standardError = errHandle
    try process.run()
    process.waitUntilExit()
    let out = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    let err = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    return RunResult(status: process.terminationStatus, out: out, err: err)
  }
}
