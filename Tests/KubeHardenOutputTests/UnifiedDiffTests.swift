import Foundation
import XCTest

@testable import KubeHardenOutput
import YAMLSource

/// Round-trips `UnifiedDiff.render` output (a diff built from edits) through the real `patch
/// -p1` and `git apply`, and compares it with GNU `diff -u` when that is installed.
final class UnifiedDiffTests: XCTestCase {
  // MARK: - Case table

  /// One edit of a case, found by text in the original (searched after the previous edit).
  private enum Op {
    /// Inserts `text` before the first occurrence of `marker`.
    case insert(String, before: String)
    /// Replaces the first occurrence of `marker` with `text`.
    case replace(String, with: String)
    /// Inserts `text` at the end of the file.
    case append(String)
  }

  private struct DiffCase {
    var label: String
    var name: String
    var old: [UInt8]
    var edits: [Edit]
    var context: Int = 3
    /// Expected number of `@@` hunks, when the case is about hunk grouping.
    var hunks: Int? = nil
    /// Whether GNU `diff -u` prints the same patch (it may align repeated lines elsewhere).
    var sameAsGNU = true
    var new: [UInt8] { (try? EditSet(edits).apply(to: old)) ?? [] }

    init(
      label: String, name: String, old: String, _ ops: [Op], context: Int = 3, hunks: Int? = nil,
      sameAsGNU: Bool = true
    ) {
      self.label = label
      self.name = name
      self.old = Array(old.utf8)
      self.context = context
      self.hunks = hunks
      self.sameAsGNU = sameAsGNU
      var edits: [Edit] = []
      var from = 0
      let bytes = self.old
      func find(_ marker: String) -> Int {
        let pattern = Array(marker.utf8)
        var i = from
        while i + pattern.count <= bytes.count {
          if bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
          i += 1
        }
        preconditionFailure("\(label): '\(marker)' not found")
      }
      for op in ops {
        switch op {
        case .insert(let text, let marker):
          let at = find(marker)
          edits.append(.insert(text, at: at))
          from = at
        case .replace(let marker, let text):
          let at = find(marker)
          edits.append(.replace(at..<(at + marker.utf8.count), with: text))
          from = at + marker.utf8.count
        case .append(let text):
          edits.append(.insert(text, at: bytes.count))
          from = bytes.count
        }
      }
      self.edits = edits
    }
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

  private static let hardening: [Op] = [
    .insert("      automountServiceAccountToken: false\n", before: "      containers:"),
    .insert(
      "          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n",
      before: "          ports:"),
  ]

  private static var cases: [DiffCase] {
    let ten = numbered(1...10)
    let twenty = numbered(1...20)
    let bom = "\u{FEFF}"
    return [
      DiffCase(label: "insert at start", name: "start.yaml", old: ten, [.insert("new first\n", before: "line 1\n")]),
      DiffCase(
        label: "insert in middle", name: "middle.yaml", old: ten, [.insert("inserted a\ninserted b\n", before: "line 6\n")]),
      DiffCase(label: "insert at end", name: "end.yaml", old: ten, [.append("appended\n")]),
      DiffCase(label: "delete at start", name: "del-start.yaml", old: ten, [.replace("line 1\nline 2\n", with: "")]),
      DiffCase(label: "delete in middle", name: "del-mid.yaml", old: ten, [.replace("line 5\nline 6\n", with: "")]),
      DiffCase(label: "delete at end", name: "del-end.yaml", old: ten, [.replace("line 9\nline 10\n", with: "")]),
      DiffCase(
        label: "replace in middle", name: "replace.yaml", old: ten, [.replace("line 5\nline 6\n", with: "five!\nsix!\nextra\n")]),
      DiffCase(
        label: "value replaced inside a line", name: "value.yaml", old: "a: 1\nprivileged: true  # why\nb: 2\n",
        [.replace("true", with: "false")]),
      DiffCase(
        label: "insertion after a replaced value", name: "value-insert.yaml",
        old: "a: 1\nprivileged: true  # why\nb: 2\n",
        [.replace("true", with: "false"), .insert("allowPrivilegeEscalation: false\n", before: "b: 2")]),
      DiffCase(
        label: "insertion at the end of a line", name: "eol-insert.yaml", old: "a: 1\nb: 2\nc: 3\n",
        [.insert("\nb2: 3", before: "\nc: 3")]),
      DiffCase(label: "edit joins two lines", name: "join.yaml", old: "a: 1\nb: 2\nc: 3\n", [.replace("\nb", with: " b")]),
      DiffCase(label: "line break deleted", name: "join2.yaml", old: "a: 1\nb: 2\nc: 3\n", [.replace("1\n", with: "1")]),
      DiffCase(
        label: "CRLF insert", name: "crlf-insert.yaml", old: numbered(1...8, crlf: true),
        [.insert("  runAsNonRoot: true\r\n", before: "line 5\r\n")]),
      DiffCase(
        label: "CRLF replace and final line without newline", name: "crlf-replace.yaml",
        old: numbered(1...6, crlf: true) + "tail\r", [.replace("line 3", with: "line 3 changed")]),
      DiffCase(
        label: "mixed CRLF/LF line-ending change only", name: "eol.yaml", old: "a: 1\r\nb: 2\r\nc: 3\r\n",
        [.replace("2\r", with: "2")]),
      DiffCase(
        label: "old lacks final newline, new adds it", name: "nonl-old.yaml", old: "a: 1\nb: 2\nc: 3", [.append("\n")]),
      DiffCase(label: "new lacks final newline", name: "nonl-new.yaml", old: "a: 1\nb: 2\nc: 3\n", [.replace("3\n", with: "3")]),
      DiffCase(
        label: "both lack final newline, last line changed", name: "nonl-both-last.yaml", old: "a: 1\nb: 2\nc: 3",
        [.replace("c: 3", with: "c: 4")]),
      DiffCase(
        label: "both lack final newline, change near end (context)", name: "nonl-both-ctx.yaml",
        old: "a: 1\nb: 2\nc: 3\nd: 4", [.insert("b2: 2.5\n", before: "c: 3")]),
      DiffCase(
        label: "both lack final newline, change far from end", name: "nonl-both-far.yaml", old: ten + "last",
        [.insert("zero\n", before: "line 1\n")]),
      DiffCase(
        label: "append after last line without newline", name: "nonl-append.yaml", old: "a: 1\nb: 2", [.append("\nc: 3\n")]),
      DiffCase(label: "single line without newline replaced", name: "single.yaml", old: "x", [.replace("x", with: "y")]),
      DiffCase(
        label: "BOM file, insert after line 1", name: "bom-insert.yaml", old: bom + "a: 1\nb: 2\n",
        [.insert("z: 0\n", before: "b: 2")]),
      DiffCase(label: "BOM removed from line 1", name: "bom-remove.yaml", old: bom + "a: 1\nb: 2\n", [.replace(bom, with: "")]),
      DiffCase(
        label: "BOM CRLF without final newline", name: "bom-crlf.yaml", old: bom + "a: 1\r\nb: 2",
        [.insert("c: 3\r\n", before: "b: 2")]),
      DiffCase(label: "empty old file", name: "empty-old.yaml", old: "", [.append("a: 1\nb: 2\n")]),
      DiffCase(label: "empty old file, new without newline", name: "empty-old-nonl.yaml", old: "", [.append("a: 1")]),
      DiffCase(label: "empty new file", name: "empty-new.yaml", old: "a: 1\nb: 2\n", [.replace("a: 1\nb: 2\n", with: "")]),
      DiffCase(label: "whole file replaced", name: "rewrite.yaml", old: "a\nb\nc\n", [.replace("a\nb\nc\n", with: "x\ny\n")]),
      DiffCase(
        label: "two far-apart hunks", name: "two-hunks.yaml", old: twenty,
        [.insert("A\n", before: "line 3\n"), .insert("B\n", before: "line 18\n")], hunks: 2),
      // Changes after line 4 and after line 10: 6 unchanged lines between = 2*context -> merged.
      DiffCase(
        label: "contexts touching merge into one hunk", name: "touch.yaml", old: twenty,
        [.insert("A\n", before: "line 5\n"), .insert("B\n", before: "line 11\n")], hunks: 1),
      // 7 unchanged lines between = 2*context + 1 -> two hunks.
      DiffCase(
        label: "contexts one apart stay separate", name: "apart.yaml", old: twenty,
        [.insert("A\n", before: "line 5\n"), .insert("B\n", before: "line 12\n")], hunks: 2),
      DiffCase(
        label: "overlapping contexts, replacements", name: "overlap.yaml", old: twenty,
        [.replace("line 6\n", with: "six\n"), .replace("line 9\n", with: "nine\n")], hunks: 1),
      DiffCase(
        label: "edits on adjacent lines", name: "adjacent.yaml", old: ten,
        [.replace("line 4", with: "four"), .replace("line 5", with: "five")], hunks: 1),
      DiffCase(
        label: "context 0", name: "ctx0.yaml", old: ten, [.insert("A\n", before: "line 4\n"), .replace("line 7\n", with: "")],
        context: 0, hunks: 2),
      DiffCase(
        label: "context 1 merges adjacent", name: "ctx1.yaml", old: ten,
        [.insert("A\n", before: "line 4\n"), .insert("B\n", before: "line 6\n")], context: 1, hunks: 1),
      // GNU diff slides the inserted line below the run of equal lines; the edit's place is kept.
      DiffCase(
        label: "repeated lines (ambiguous alignment)", name: "repeat.yaml", old: "- a\n- a\n- a\nx\n- a\n",
        [.insert("- a\n", before: "- a\n"), .append("- a\n")], sameAsGNU: false),
      DiffCase(label: "realistic hardening insert", name: "deploy.yaml", old: deployment, hardening, hunks: 1),
      DiffCase(label: "subdirectory path", name: "manifests/prod/deploy.yaml", old: deployment, hardening),
      DiffCase(
        label: "many hunks", name: "many.yaml", old: numbered(1...100),
        stride(from: 17, through: 100, by: 17).map { .replace("line \($0)\n", with: "changed \($0)\n") }, hunks: 5),
    ]
  }

  // MARK: - Round trips

  func testCaseTableIsLargeEnough() {
    XCTAssertGreaterThanOrEqual(Self.cases.count, 15)
  }

  func testRoundTripThroughPatch() throws {
    let patch = try Self.requireTool("patch")
    for c in Self.cases {
      let diff = UnifiedDiff.render(path: c.name, original: c.old, edits: c.edits, context: c.context)
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
      let diff = UnifiedDiff.render(path: c.name, original: c.old, edits: c.edits, context: c.context)
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
      guard c.sameAsGNU else { continue }
      let ours = UnifiedDiff.render(path: c.name, original: c.old, edits: c.edits, context: c.context)
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

  /// The diff of `old` with `ops` applied (see `Op`).
  private static func render(
    _ path: String, _ old: String, _ ops: [Op], context: Int = 3, color: Bool = false
  ) -> String {
    let c = DiffCase(label: path, name: path, old: old, ops)
    return UnifiedDiff.render(path: path, original: c.old, edits: c.edits, context: context, color: color)
  }

  /// GNU patch stops an unquoted name at a blank unless a tab ends it; both tools
  /// must find a file whose path contains spaces.
  func testPathWithSpacesAppliesWithPatchAndGit() throws {
    let patch = try Self.requireTool("patch")
    let git = try Self.requireTool("git")
    let name = "my dir/deploy ment.yaml"
    let c = DiffCase(label: name, name: name, old: Self.deployment, Self.hardening)
    let diff = UnifiedDiff.render(path: "./" + name, original: c.old, edits: c.edits)
    XCTAssertTrue(diff.hasPrefix("--- a/\(name)\t\n+++ b/\(name)\t\n"), diff)
    for (tool, args) in [(patch, ["-p1", "--quiet"]), (git, ["apply", "--whitespace=nowarn"])] {
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = try Self.writeFile(dir, name, c.old)
      let result = try Self.run(tool, args, cwd: dir, stdin: diff)
      XCTAssertEqual(result.status, 0, "\(tool): \(result.err)\(result.out)")
      XCTAssertEqual((try? Data(contentsOf: file)).map { [UInt8]($0) }, c.new, tool)
    }
  }

  // MARK: - Exact output

  func testNoChangeGivesEmptyString() {
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", original: [], edits: []), "")
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", original: Self.bytes(Self.deployment), edits: []), "")
    // Edits that write what is there already change no line.
    XCTAssertEqual(Self.render("x.yaml", "a\r\nb", [.replace("b", with: "b")], color: true), "")
    // Overlapping edits never reach a report; they give no patch rather than a wrong one.
    let overlapping = [Edit.replace(0..<2, with: "x"), .replace(1..<3, with: "y")]
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", original: Self.bytes("abc\n"), edits: overlapping), "")
    XCTAssertEqual(UnifiedDiff.render(path: "x.yaml", original: Self.bytes("abc\n"), edits: [.insert("z", at: 9)]), "")
  }

  func testHeadersAndEmptySideNumbers() {
    XCTAssertEqual(Self.render("f.yaml", "", [.append("a\n")]), "--- a/f.yaml\n+++ b/f.yaml\n@@ -0,0 +1 @@\n+a\n")
    XCTAssertEqual(
      Self.render("f.yaml", "a\nb\n", [.replace("a\nb\n", with: "")]), "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,2 +0,0 @@\n-a\n-b\n")
    // Pure insertion with no context: the empty old range names the line before it.
    XCTAssertEqual(
      Self.render("f.yaml", "1\n2\n3\n", [.insert("x\n", before: "3")], context: 0),
      "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,0 +3 @@\n+x\n")
  }

  /// A value replaced on a line shows that line alone; lines an edit's span keeps are context.
  func testChangedLinesOnly() {
    XCTAssertEqual(
      Self.render(
        "f", "a: 1\nb: true\nc: 3\n", [.replace("true", with: "false"), .insert("\nd: 4", before: "\nc: 3")], context: 0),
      "--- a/f\n+++ b/f\n@@ -2 +2,2 @@\n-b: true\n+b: false\n+d: 4\n")
    XCTAssertEqual(
      Self.render("f", "a: 1\nb: 2\n", [.insert("\nz: 0", before: "\nb")], context: 1),
      "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a: 1\n+z: 0\n b: 2\n")
  }

  func testNoNewlineMarkers() {
    XCTAssertEqual(
      Self.render("f", "a\nb", [.replace("b", with: "c")]),
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
      Self.render("f", "x\na\nb", [.replace("x\n", with: "")]),
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
    XCTAssertEqual(
      Self.render("f", "a\r\nb\r\n", [.replace("b", with: "c")]), "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n")
  }

  func testPathNormalization() {
    XCTAssertTrue(Self.render("./k8s/x.yaml", "a\n", [.replace("a", with: "b")]).hasPrefix("--- a/k8s/x.yaml\n+++ b/k8s/x.yaml\n"))
    XCTAssertTrue(Self.render("/abs/x.yaml", "a\n", [.replace("a", with: "b")]).hasPrefix("--- a//abs/x.yaml\n+++ b//abs/x.yaml\n"))
    XCTAssertTrue(Self.render("x.yaml", "a\n", [.replace("a", with: "b")]).hasPrefix("--- a/x.yaml\n+++ b/x.yaml\n"))
  }

  func testColor() {
    let esc = "\u{1B}"
    let diff = Self.render("f", "a\nb\r\nc", [.replace("b", with: "B")], color: true)
    XCTAssertEqual(
      diff,
      "\(esc)[1m--- a/f\(esc)[0m\n"
        + "\(esc)[1m+++ b/f\(esc)[0m\n"
        + "\(esc)[36m@@ -1,3 +1,3 @@\(esc)[0m\n"
        + " a\n"
        + "\(esc)[31m-b\r\(esc)[0m\n"
        + "\(esc)[32m+B\r\(esc)[0m\n"
        + " c\n\\ No newline at end of file\n")
    XCTAssertFalse(Self.render("f", "a\nb\r\nc", [.replace("b", with: "B")]).contains(esc))
  }

  func testInvalidUTF8DoesNotCrash() {
    let old: [UInt8] = [0x61, 0x0A, 0xFF, 0xFE, 0x0A, 0xC3]
    let diff = UnifiedDiff.render(path: "bin", original: old, edits: [.delete(3..<4)])
    XCTAssertTrue(diff.hasPrefix("--- a/bin\n+++ b/bin\n@@ -1,3 +1,3 @@\n a\n-"), diff)
    XCTAssertTrue(diff.contains("\u{FFFD}"))
  }

  /// 10k-line file with many edits: fast, and still applies.
  func testLargeFileManyEdits() throws {
    let old = Self.bytes((1...10_000).map { "  key\($0 % 97): value \($0)\n" }.joined())
    let lineStarts = [0] + old.indices.filter { old[$0] == 0x0A }.map { $0 + 1 }.dropLast()
    let edits = stride(from: 10, to: 10_000, by: 10).map {
      Edit.insert("  securityContext: {runAsNonRoot: true} # \($0)\n", at: lineStarts[$0])
    }
    let start = Date()
    let diff = UnifiedDiff.render(path: "big.yaml", original: old, edits: edits.reversed())
    let elapsed = Date().timeIntervalSince(start)
    XCTAssertLessThan(elapsed, 5, "render took \(elapsed)s")
    XCTAssertEqual(Self.hunkCount(diff), 999)
    XCTAssertEqual(diff.split(separator: "\n").filter { $0.hasPrefix("+ ") }.count, 999)
    if let patch = Self.findTool("patch") {
      let dir = try Self.makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = try Self.writeFile(dir, "big.yaml", old)
      let result = try Self.run(patch, ["-p1", "--quiet"], cwd: dir, stdin: diff)
      XCTAssertEqual(result.status, 0, result.err)
      XCTAssertEqual((try? Data(contentsOf: file)).map { [UInt8]($0) }, try EditSet(edits).apply(to: old))
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
