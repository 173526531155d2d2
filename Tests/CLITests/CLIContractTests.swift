import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The command-line contract of the built `kubeharden` binary: exit statuses, what goes to
/// standard output and standard error, which files are written and how.
final class CLIContractTests: XCTestCase {
  override func setUpWithError() throws {
    _ = try TestPaths.requireBinary()
  }

  /// `fix -` of `text`: the bytes `fix FILE` is expected to write.
  func fixed(_ text: String, cwd: URL? = nil, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
    let result = run(["fix", "-q", "-"], stdin: Array(text.utf8), cwd: cwd)
    XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    return result.stdout
  }

  func testALargeStandardInputIsReadWholeAndInOrder() throws {
    // At least 8 MiB on standard input is read in parallel ranges (and processed in parts):
    // every document must come out fixed, in order, exactly as when it is fixed alone.
    let head = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-"
    let tail = "\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
    let fixedOne = String(decoding: fixed(head + "0" + tail), as: UTF8.self)
    let fixedTail = try XCTUnwrap(fixedOne.split(separator: "web-0", maxSplits: 1).last.map(String.init))
    XCTAssertTrue(fixedOne.hasPrefix(head) && fixedTail != tail, fixedOne)
    var input: [UInt8] = []
    var expected: [UInt8] = []
    for number in 0..<80_000 {
      input += Array("\(head)\(number)\(tail)".utf8)
      expected += Array("\(head)\(number)\(fixedTail)".utf8)
    }
    XCTAssertGreaterThan(input.count, 8 << 20)
    let result = run(["fix", "-q", "-"], stdin: input)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout == expected, "the fixed stream differs from its documents fixed one by one")
  }

  // MARK: Informational commands

  func testVersion() {
    let result = run(["--version"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(String(decoding: result.stdout, as: UTF8.self).matches(#"^[0-9]+\.[0-9]+\.[0-9]+\S*\n$"#))
  }

  func testHelpNamesTheSubcommands() {
    let result = run(["--help"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let help = String(decoding: result.stdout, as: UTF8.self)
    for command in ["fix", "diff", "check", "rules", "explain"] {
      XCTAssertTrue(help.matches("\\n +\(command) +[A-Z]"), "help does not list '\(command)':\n\(help)")
    }
  }

  func testRulesListsEveryPass() {
    let result = run(["rules"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = String(decoding: result.stdout, as: UTF8.self).nonEmptyLines
    XCTAssertEqual(lines.count, Manifests.passIDs.count, lines.joined(separator: "\n"))
    for id in Manifests.passIDs {
      XCTAssertTrue(lines.contains { $0.hasPrefix(id + " ") }, "rules does not list \(id)")
    }
  }

  func testExplainShowsReferences() {
    let result = run(["explain", "no-privileged"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let text = String(decoding: result.stdout, as: UTF8.self)
    XCTAssertTrue(text.hasPrefix("no-privileged:"), text)
    XCTAssertTrue(text.contains("CKV_K8S_16"), text)
    XCTAssertTrue(text.contains("CIS"), text)
  }

  func testProfileSelectsThePodSecurityChecks() {
    let rules = String(decoding: run(["rules"]).stdout, as: UTF8.self).nonEmptyLines
    XCTAssertTrue(rules.contains { $0.hasPrefix("host-path-volumes ") && $0.contains(" baseline ") }, rules.joined(separator: "\n"))
    XCTAssertTrue(rules.contains { $0.hasPrefix("resource-limits ") && $0.contains(" - ") }, rules.joined(separator: "\n"))
    let pod = Array(
      "apiVersion: v1\nkind: Pod\nspec:\n  volumes:\n  - name: logs\n    hostPath: {path: /var/log}\n  containers:\n  - name: web\n".utf8)
    let restricted = String(decoding: run(["check", "--format", "json", "-"], stdin: pod).stdout, as: UTF8.self)
    XCTAssertTrue(restricted.contains("\"restricted-volume-types\""), restricted)
    XCTAssertFalse(restricted.contains("\"host-path-volumes\""), restricted)
    let baseline = run(["check", "--profile", "baseline", "--format", "json", "-"], stdin: pod)
    XCTAssertEqual(baseline.status, 1, baseline.stderr)
    let text = String(decoding: baseline.stdout, as: UTF8.self)
    XCTAssertTrue(text.contains("\"host-path-volumes\""), text)
    XCTAssertFalse(text.contains("\"run-as-non-root\""), "restricted checks do not run under baseline: \(text)")
    let bad = run(["check", "--profile", "strict", "-"], stdin: pod)
    XCTAssertEqual(bad.status, 64)
    XCTAssertTrue(bad.stderr.contains("'strict' is not a Pod Security profile"), bad.stderr)
  }

  func testExplainUnknownPassIsAUsageError() {
    let result = run(["explain", "bogus"])
    XCTAssertEqual(result.status, 64)
    XCTAssertEqual(result.stdout, [])
    XCTAssertTrue(result.stderr.contains("bogus"), result.stderr)
    for id in Manifests.passIDs { XCTAssertTrue(result.stderr.contains(id), "\(id) missing from: \(result.stderr)") }
  }

  // MARK: fix on standard input

  /// Inputs with nothing to fix: `fix -` must copy them byte for byte.
  static let untouchedSnippets: [(String, [UInt8])] = [
    ("compliant workload", Array(Manifests.compliant.utf8)),
    ("comments", Array("# top\nkey: value # trailing\n  # indented comment\n# end\n".utf8)),
    ("anchors and merge keys", Array("base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\nlist: &l [1, 2]\nagain: *l\n".utf8)),
    ("flow mapping", Array("{a: 1, b: [x, y], c: {d: e},}\n".utf8)),
    ("literal block scalar", Array("script: |\n  echo hi\n\n  exit 0\nnext: 1\n".utf8)),
    ("folded and keep scalars", Array("text: >-\n  folded\n  text\n\nkeep: |+\n  x\n\n".utf8)),
    ("CRLF", Array("a: 1\r\nb:\r\n  - x\r\n  - y\r\n".utf8)),
    ("BOM", [0xEF, 0xBB, 0xBF] + Array("a: 1\nb: 2\n".utf8)),
    ("no final newline", Array("a: 1\nb: 2".utf8)),
    ("documents with ---", Array("---\na: 1\n---\nb: 2\n".utf8)),
    ("documents with ...", Array("a: 1\n...\n---\nb: 2\n...\n".utf8)),
    ("ConfigMap", Array("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n".utf8)),
    (
      "Deployment of another API group",
      Array(
        "apiVersion: example.com/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n        image: y\n"
          .utf8)
    ),
    ("quoting and Unicode", Array("name: \"héllo wörld 日本\"\nother: 'single ''quoted'''\nplain: ünïcode # ✓\n".utf8)),
    ("JSON", Array("{\"a\": [1, 2, {\"b\": null}], \"c\": \"d\"}\n".utf8)),
    ("tags", Array("a: !!str 123\nb: !custom x\nc: !!binary aGVsbG8=\n".utf8)),
    ("empty input", []),
    ("only a comment", Array("# just a comment\n".utf8)),
    ("complex keys", Array("? [a, b]\n: value\n? complex\n: 2\n".utf8)),
    ("directive, blank lines, trailing blanks", Array("%YAML 1.1\n---\na:\n\n  b:   \n    c: d   # x\t\n".utf8)),
    (
      "BOM, CRLF, no final newline, document end",
      [0xEF, 0xBB, 0xBF] + Array("---\r\napiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: s\r\n...".utf8)
    ),
    ("nested sequences", Array("- a\n- - b\n  - c\n- {x: y}\n".utf8)),
    (
      "workload exempted by annotation",
      Array(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kubeharden.io/skip: all\nspec:\n  containers:\n  - name: c\n    image: i\n"
          .utf8)
    ),
  ]

  func testFixStandardInputWithNothingToFixIsIdentity() {
    XCTAssertGreaterThanOrEqual(Self.untouchedSnippets.count, 20)
    for (name, bytes) in Self.untouchedSnippets {
      let result = run(["fix", "-"], stdin: bytes)
      XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
      XCTAssertEqual(result.stdout, bytes, "\(name): fix - changed the bytes:\n\(String(decoding: result.stdout, as: UTF8.self))")
    }
  }

  func testFixWithoutPathReadsPipedStandardInput() {
    let bytes = Array(Manifests.insecure.utf8)
    let withDash = run(["fix", "-q", "-"], stdin: bytes)
    let withoutPath = run(["fix", "-q"], stdin: bytes)
    XCTAssertEqual(withDash.status, 0, withDash.stderr)
    XCTAssertEqual(withoutPath.status, 0, withoutPath.stderr)
    XCTAssertNotEqual(withDash.stdout, bytes, "the insecure manifest was not changed")
    XCTAssertEqual(withoutPath.stdout, withDash.stdout)
    let text = String(decoding: withDash.stdout, as: UTF8.self)
    XCTAssertTrue(text.hasPrefix("# app\n"), text)
    XCTAssertTrue(text.contains("image: registry.example.com/web   # pinned later\n"), text)
    XCTAssertTrue(text.contains("privileged: false"), text)
  }

  func testFixStandardInputWithInvalidYAMLReportsThePosition() {
    let result = run(["fix", "-"], stdin: Array(Manifests.invalid.utf8))
    XCTAssertEqual(result.status, 2)
    XCTAssertEqual(result.stdout, [], "nothing may be written to standard output for a bad input")
    let first = result.stderr.nonEmptyLines.first ?? ""
    XCTAssertTrue(first.matches(#"^<stdin>:[2-4]:[0-9]+: error: .+"#), result.stderr)
  }

  // MARK: fix on files

  func testFixRewritesOnlyChangedFilesAndKeepsTheirMode() throws {
    let dir = try makeTemporaryDirectory()
    let insecure = dir.appendingPathComponent("insecure.yaml")
    let compliant = dir.appendingPathComponent("compliant.yaml")
    let configMap = dir.appendingPathComponent("config.yml")
    try Files.write(Manifests.insecure, to: insecure)
    try Files.write(Manifests.compliant, to: compliant)
    try Files.write("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", to: configMap)
    XCTAssertEqual(chmod(insecure.path, 0o640), 0)
    let past = Date(timeIntervalSince1970: 1_000_000_000)
    for url in [compliant, configMap] {
      try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: url.path)
    }
    let untouched = [compliant, configMap].map { (Files.statInfo($0.path)?.st_ino, try? Files.read($0)) }

    let result = run(["fix", "."], cwd: dir)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdout, [], "fix FILE writes nothing to standard output")
    XCTAssertTrue(result.stderr.contains("3 files scanned, 1 changed"), result.stderr)

    XCTAssertEqual(try Files.read(insecure), fixed(Manifests.insecure))
    XCTAssertEqual(Files.mode(insecure.path), 0o640, "the mode was not kept")
    for (url, before) in zip([compliant, configMap], untouched) {
      let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
      XCTAssertEqual(attributes[.modificationDate] as? Date, past, "\(url.lastPathComponent) was rewritten")
      XCTAssertEqual(Files.statInfo(url.path)?.st_ino, before.0, "\(url.lastPathComponent) was replaced")
      XCTAssertEqual(try Files.read(url), before.1)
    }
    XCTAssertEqual(Files.temporaryLeftovers(in: dir), [])

    // A second run changes nothing.
    let again = run(["fix", "."], cwd: dir)
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertTrue(again.stderr.contains("3 files scanned, 0 changed"), again.stderr)
  }

  func testFixFollowsASymlinkAndRewritesItsTarget() throws {
    let dir = try makeTemporaryDirectory()
    let target = dir.appendingPathComponent("real/target.yaml")
    try Files.write(Manifests.insecure, to: target)
    XCTAssertEqual(chmod(target.path, 0o640), 0)
    let link = dir.appendingPathComponent("link.yaml")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real/target.yaml")

    let result = run(["fix", "link.yaml"], cwd: dir)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(Files.isSymlink(link.path), "the symlink was replaced by a file")
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), "real/target.yaml")
    XCTAssertEqual(try Files.read(target), fixed(Manifests.insecure))
    XCTAssertEqual(Files.mode(target.path), 0o640)
    XCTAssertEqual(Files.temporaryLeftovers(in: dir), [])
  }

  func testUnparsableFileAmongGoodOnes() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("a.yaml"))
    try Files.write(Manifests.invalid, to: dir.appendingPathComponent("b.yaml"))
    try Files.write(Manifests.insecure.replacingOccurrences(of: "name: web", with: "name: api"), to: dir.appendingPathComponent("c.yaml"))

    let result = run(["fix", "a.yaml", "b.yaml", "c.yaml"], cwd: dir)
    XCTAssertEqual(result.status, 2, result.stderr)
    XCTAssertEqual(result.stdout, [])
    XCTAssertTrue(result.stderr.matches(#"(^|\n)b\.yaml:[2-4]:[0-9]+: error: "#), result.stderr)
    XCTAssertFalse(result.stderr.contains("a.yaml:"), result.stderr)
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("b.yaml")), Array(Manifests.invalid.utf8), "the bad file was touched")
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("a.yaml")), fixed(Manifests.insecure))
    XCTAssertEqual(
      try Files.read(dir.appendingPathComponent("c.yaml")),
      fixed(Manifests.insecure.replacingOccurrences(of: "name: web", with: "name: api")))
    XCTAssertEqual(Files.temporaryLeftovers(in: dir), [])
  }

  /// Checks the outcome of a run in which writing `locked.yaml` failed and `free.yaml` did not.
  func assertWriteFailure(
    _ result: (status: Int32, stdout: [UInt8], stderr: String), dir: URL, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
    XCTAssertTrue(result.stderr.matches(#"(^|\n)locked\.yaml:[0-9]+:[0-9]+: error: "#), result.stderr, file: file, line: line)
    XCTAssertFalse(result.stderr.contains("free.yaml:"), result.stderr, file: file, line: line)
    XCTAssertTrue(result.stderr.contains("1 changed"), result.stderr, file: file, line: line)
    XCTAssertEqual(
      try Files.read(dir.appendingPathComponent("locked.yaml")), Array(Manifests.insecure.utf8),
      "the file that could not be written changed", file: file, line: line)
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("free.yaml")), fixed(Manifests.insecure), file: file, line: line)
    XCTAssertEqual(Files.temporaryLeftovers(in: dir), [], "temporary files left behind", file: file, line: line)
  }

  /// A file that cannot be written: `chmod 444` for a normal user; as root (which ignores the
  /// mode) the immutable flag (`chattr +i`), when the file system supports it.
  func testReadOnlyFileIsAnErrorForThatFileOnly() throws {
    let dir = try makeTemporaryDirectory()
    let locked = dir.appendingPathComponent("locked.yaml")
    try Files.write(Manifests.insecure, to: locked)
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("free.yaml"))
    if geteuid() != 0 {
      XCTAssertEqual(chmod(locked.path, 0o444), 0)
    } else {
      guard let chattr = ["/usr/bin/chattr", "/bin/chattr", "/usr/sbin/chattr"].first(where: FileManager.default.isExecutableFile)
      else { throw XCTSkip("SKIPPED: running as root without chattr; the injected-failure test covers this") }
      let set = runProcess(URL(fileURLWithPath: chattr), ["+i", locked.path])
      guard set.status == 0 else {
        throw XCTSkip("SKIPPED: chattr +i is not supported here (\(set.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
      }
      addTeardownBlock { _ = runProcess(URL(fileURLWithPath: chattr), ["-i", locked.path]) }
    }
    try assertWriteFailure(run(["fix", "locked.yaml", "free.yaml"], cwd: dir), dir: dir)
  }

  /// A folder where no file can be created or renamed: the temporary file cannot be made, so
  /// the files in it are errors and the others are still fixed.
  func testUnwritableFolderIsAnErrorForItsFilesOnly() throws {
    let dir = try makeTemporaryDirectory()
    let lockedFolder = dir.appendingPathComponent("locked")
    try Files.write(Manifests.insecure, to: lockedFolder.appendingPathComponent("locked.yaml"))
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("free.yaml"))
    if geteuid() != 0 {
      XCTAssertEqual(chmod(lockedFolder.path, 0o555), 0)
    } else {
      guard let chattr = ["/usr/bin/chattr", "/bin/chattr", "/usr/sbin/chattr"].first(where: FileManager.default.isExecutableFile)
      else { throw XCTSkip("SKIPPED: running as root without chattr") }
      let set = runProcess(URL(fileURLWithPath: chattr), ["+i", lockedFolder.path])
      guard set.status == 0 else {
        throw XCTSkip("SKIPPED: chattr +i is not supported here (\(set.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
      }
      addTeardownBlock { _ = runProcess(URL(fileURLWithPath: chattr), ["-i", lockedFolder.path]) }
    }
    let result = run(["fix", "locked/locked.yaml", "free.yaml"], cwd: dir)
    XCTAssertEqual(result.status, 2, result.stderr)
    XCTAssertTrue(result.stderr.matches(#"(^|\n)locked/locked\.yaml:[0-9]+:[0-9]+: error: "#), result.stderr)
    XCTAssertFalse(result.stderr.contains("free.yaml:"), result.stderr)
    XCTAssertEqual(try Files.read(lockedFolder.appendingPathComponent("locked.yaml")), Array(Manifests.insecure.utf8))
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("free.yaml")), fixed(Manifests.insecure))
    XCTAssertEqual(Files.temporaryLeftovers(in: dir), [])
  }

  /// `KUBEHARDEN_TEST_FAIL_WRITE=<suffix>` makes the write of a matching file fail after its
  /// temporary file is written: the temporary file must be removed and the original kept.
  func testInjectedWriteFailureLeavesTheOriginalAndNoTemporaryFile() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("locked.yaml"))
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("free.yaml"))
    let result = run(["fix", "locked.yaml", "free.yaml"], cwd: dir, env: ["KUBEHARDEN_TEST_FAIL_WRITE": "locked.yaml"])
    guard result.status != 0 || result.stderr.contains("injected") else {
      XCTFail(
        "KUBEHARDEN_TEST_FAIL_WRITE=locked.yaml did not make the write fail: locked.yaml was rewritten (FileIO.beforeRename "
          + "is called with the temporary path '.locked.yaml.kubeharden-XXXXXX', which never ends with the file name): \(result.stderr)")
      return
    }
    try assertWriteFailure(result, dir: dir)
    XCTAssertTrue(result.stderr.contains("injected write failure"), result.stderr)
  }

  // MARK: diff

  func testDiffExitStatuses() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("insecure.yaml"))
    try Files.write(Manifests.compliant, to: dir.appendingPathComponent("compliant.yaml"))
    try Files.write(Manifests.invalid, to: dir.appendingPathComponent("invalid.yaml"))

    let changes = run(["diff", "insecure.yaml"], cwd: dir)
    XCTAssertEqual(changes.status, 1, changes.stderr)
    let patch = String(decoding: changes.stdout, as: UTF8.self)
    XCTAssertTrue(patch.hasPrefix("--- a/insecure.yaml\n+++ b/insecure.yaml\n@@ "), patch)
    XCTAssertTrue(patch.contains("\n           runAsGroup: 3000\n+          privileged: false\n"), patch)

    // An explicit value is kept by default; --unsafe-fixes shows (and fix applies) its flip.
    try Files.write(
      Manifests.insecure.replacingOccurrences(of: "runAsGroup: 3000", with: "privileged: true"),
      to: dir.appendingPathComponent("explicit.yaml"))
    let kept = String(decoding: run(["diff", "explicit.yaml"], cwd: dir).stdout, as: UTF8.self)
    XCTAssertFalse(kept.contains("-          privileged: true\n"), kept)
    let flipped = run(["diff", "--unsafe-fixes", "explicit.yaml"], cwd: dir)
    XCTAssertEqual(flipped.status, 1, flipped.stderr)
    XCTAssertTrue(
      String(decoding: flipped.stdout, as: UTF8.self).contains("\n-          privileged: true\n+          privileged: false\n"),
      String(decoding: flipped.stdout, as: UTF8.self))

    let none = run(["diff", "compliant.yaml"], cwd: dir)
    XCTAssertEqual(none.status, 0, none.stderr)
    XCTAssertEqual(none.stdout, [])

    let error = run(["diff", "invalid.yaml", "insecure.yaml"], cwd: dir)
    XCTAssertEqual(error.status, 2, error.stderr)
    XCTAssertTrue(error.stderr.matches(#"(^|\n)invalid\.yaml:[0-9]+:[0-9]+: error: "#), error.stderr)
    XCTAssertEqual(error.stdout, changes.stdout, "the good file's diff is still printed")

    XCTAssertEqual(try Files.read(dir.appendingPathComponent("insecure.yaml")), Array(Manifests.insecure.utf8), "diff wrote a file")
  }

  /// A path with a space, a comma and a colon: `patch -p1` and `git apply` must both read the header.
  func testDiffOfAnUnusualPathApplies() throws {
    let dir = try makeTemporaryDirectory()
    let relative = "my manifests/web,api:v1.yaml"
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent(relative))
    let diff = run(["diff", relative], cwd: dir)
    XCTAssertEqual(diff.status, 1, diff.stderr)
    guard let patch = findExecutable("patch"), let git = findExecutable("git") else {
      throw XCTSkip("SKIPPED: patch or git is not installed")
    }
    let check = runProcess(
      git, ["apply", "--check", "--verbose", "-"], stdin: diff.stdout, cwd: dir,
      env: ["GIT_CEILING_DIRECTORIES": dir.deletingLastPathComponent().path])
    XCTAssertEqual(check.status, 0, check.stderr)
    XCTAssertTrue(check.stderr.contains("Checking patch \(relative)"), check.stderr)
    let applied = runProcess(patch, ["-p1", "--fuzz=0", "--batch", "--silent"], stdin: diff.stdout, cwd: dir)
    XCTAssertEqual(applied.status, 0, String(decoding: applied.stdout, as: UTF8.self) + applied.stderr)
    XCTAssertEqual(try Files.read(dir.appendingPathComponent(relative)), fixed(Manifests.insecure))

    try Files.write(Manifests.insecure, to: dir.appendingPathComponent(relative))
    let annotations = run(["check", relative], cwd: dir, env: ["GITHUB_ACTIONS": "true"])
    XCTAssertTrue(
      String(decoding: annotations.stdout, as: UTF8.self).contains("::warning file=my manifests/web%2Capi%3Av1.yaml,line="),
      "workflow command properties must escape ',' and ':'")
  }

  func testDiffColor() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("app.yaml"))
    let escape = "\u{1B}["
    let always = run(["diff", "--color", "always", "app.yaml"], cwd: dir)
    let never = run(["diff", "--color", "never", "app.yaml"], cwd: dir)
    let noColor = run(["diff", "--color", "auto", "app.yaml"], cwd: dir, env: ["NO_COLOR": "1"])
    for result in [always, never, noColor] { XCTAssertEqual(result.status, 1, result.stderr) }
    let colored = String(decoding: always.stdout, as: UTF8.self)
    XCTAssertTrue(colored.contains(escape), "--color always has no ANSI escapes")
    XCTAssertFalse(String(decoding: never.stdout, as: UTF8.self).contains(escape), "--color never has ANSI escapes")
    XCTAssertFalse(String(decoding: noColor.stdout, as: UTF8.self).contains(escape), "NO_COLOR=1 --color auto has ANSI escapes")
    // The colours wrap the lines and change nothing else.
    let stripped = colored.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
    XCTAssertEqual(stripped, String(decoding: never.stdout, as: UTF8.self))

    let bad = run(["diff", "--color", "sometimes", "app.yaml"], cwd: dir)
    XCTAssertEqual(bad.status, 64)
    XCTAssertTrue(bad.stderr.contains("sometimes"), bad.stderr)
  }

  // MARK: check

  func testCheckExitStatuses() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("insecure.yaml"))
    try Files.write(Manifests.compliant, to: dir.appendingPathComponent("compliant.yaml"))
    try Files.write(Manifests.invalid, to: dir.appendingPathComponent("invalid.yaml"))
    try Files.write(
      Self.untouchedSnippets.first { $0.0 == "workload exempted by annotation" }!.1, to: dir.appendingPathComponent("exempted.yaml"))

    let clean = run(["check", "compliant.yaml"], cwd: dir)
    XCTAssertEqual(clean.status, 0, clean.stderr)
    XCTAssertEqual(clean.stdout, [])
    let findings = run(["check", "insecure.yaml", "compliant.yaml"], cwd: dir)
    XCTAssertEqual(findings.status, 1, findings.stderr)
    let error = run(["check", "insecure.yaml", "invalid.yaml"], cwd: dir)
    XCTAssertEqual(error.status, 2, error.stderr)
    XCTAssertTrue(error.stderr.matches(#"(^|\n)invalid\.yaml:[0-9]+:[0-9]+: error: "#), error.stderr)
    let exempted = run(["check", "exempted.yaml"], cwd: dir)
    XCTAssertEqual(exempted.status, 0, "exempted findings do not count: \(exempted.stderr)")
    XCTAssertTrue(String(decoding: exempted.stdout, as: UTF8.self).contains("(exempted: "), "exempted findings are listed")
    let hidden = run(["check", "--hide-exempted", "exempted.yaml"], cwd: dir)
    XCTAssertEqual(hidden.status, 0, hidden.stderr)
    XCTAssertEqual(hidden.stdout, [])
  }

  func testCheckTextLinesNamePathsAsGiven() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("sub/app.yaml"))
    let ids = Manifests.passIDs.joined(separator: "|")
    for path in ["sub/app.yaml", "./sub/app.yaml", dir.appendingPathComponent("sub/app.yaml").path] {
      let result = run(["check", path], cwd: dir)
      XCTAssertEqual(result.status, 1, result.stderr)
      let lines = String(decoding: result.stdout, as: UTF8.self).nonEmptyLines
      XCTAssertFalse(lines.isEmpty)
      let escaped = NSRegularExpression.escapedPattern(for: path)
      var findings = 0
      for line in lines {
        if line.hasPrefix("    ") {
          XCTAssertTrue(
            line.matches(#"^    ([-+]|unsafe fix( \(applied only with --unsafe-fixes\))?: )"#), "a fix line is not a diff line: \(line)")
          continue
        }
        findings += 1
        XCTAssertTrue(
          line.matches("^\(escaped):[1-9][0-9]*:[1-9][0-9]*: (error|warning|note)\\[(\(ids))\\]: .+$"), "bad line shape: \(line)")
      }
      XCTAssertGreaterThanOrEqual(findings, 5, "one finding per pass at least")
      // An absent privileged is already false by the API's default: a note, never an error.
      XCTAssertTrue(lines.contains { $0.hasPrefix("\(path):12:") && $0.contains("note[no-privileged]") }, lines.joined(separator: "\n"))
      XCTAssertFalse(lines.contains { $0.hasPrefix("::") }, "workflow commands outside GitHub Actions")
    }
  }

  func testCheckInGitHubActionsEmitsWorkflowCommands() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("app.yaml"))
    let result = run(["check", "app.yaml"], cwd: dir, env: ["GITHUB_ACTIONS": "true"])
    XCTAssertEqual(result.status, 1, result.stderr)
    let lines = String(decoding: result.stdout, as: UTF8.self).nonEmptyLines
    XCTAssertTrue(lines.contains { $0.hasPrefix("::warning file=app.yaml,line=") }, lines.joined(separator: "\n"))
    XCTAssertTrue(lines.contains { $0.hasPrefix("::notice file=app.yaml,line=12,") && $0.contains("title=no-privileged::") })
    for line in lines where line.hasPrefix("::") {
      XCTAssertTrue(
        line.matches(
          #"^::(error|warning|notice) file=app\.yaml,line=[0-9]+,col=[0-9]+,endLine=[0-9]+,endColumn=[0-9]+,title=[a-z-]+::.+$"#), line)
    }
  }

  // MARK: Flags and configuration

  func testBadFlagValuesAreUsageErrorsNamingFlagAndValue() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("app.yaml"))
    let cases = [
      ("--cpu-limit", "1.2.3"), ("--run-as-user", "0"), ("--only", "nope"), ("--skip", "nope"), ("--memory-request", "lots"),
    ]
    for command in ["fix", "diff", "check"] {
      for (flag, value) in cases {
        let result = run([command, flag, value, "app.yaml"], cwd: dir)
        XCTAssertEqual(result.status, 64, "\(command) \(flag) \(value): \(result.stderr)")
        XCTAssertTrue(result.stderr.contains(flag), "\(command) \(flag) \(value): \(result.stderr)")
        XCTAssertTrue(result.stderr.contains(value), "\(command) \(flag) \(value): \(result.stderr)")
        XCTAssertEqual(result.stdout, [])
      }
    }
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("app.yaml")), Array(Manifests.insecure.utf8))
  }

  func testConfigurationInAParentFolderAndConfigFlag() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write("# repository settings\nskip: [resource-limits]\n", to: dir.appendingPathComponent("repo/.kubeharden.yaml"))
    try Files.write("runAsUser: 2000\n", to: dir.appendingPathComponent("other.yaml"))
    let app = dir.appendingPathComponent("repo/apps/web/app.yaml")
    try Files.write(Manifests.insecure, to: app)
    let control = dir.appendingPathComponent("plain/app.yaml")
    try Files.write(Manifests.insecure, to: control)

    let withoutConfig = String(decoding: run(["check", "plain/app.yaml"], cwd: dir).stdout, as: UTF8.self)
    XCTAssertTrue(withoutConfig.contains("[resource-limits]"), withoutConfig)

    let skipped = run(["check", "repo/apps/web/app.yaml"], cwd: dir)
    XCTAssertEqual(skipped.status, 1, skipped.stderr)
    let skippedText = String(decoding: skipped.stdout, as: UTF8.self)
    XCTAssertFalse(skippedText.contains("[resource-limits]"), "the parent folder's .kubeharden.yaml was not used:\n\(skippedText)")
    XCTAssertTrue(skippedText.contains("[no-privileged]"), skippedText)

    // Standard input takes the configuration of the working folder.
    let stdin = run(["fix", "-q", "-"], stdin: Array(Manifests.insecure.utf8), cwd: dir.appendingPathComponent("repo/apps"))
    XCTAssertEqual(stdin.status, 0, stdin.stderr)
    XCTAssertFalse(String(decoding: stdin.stdout, as: UTF8.self).contains("resources:"))

    let fix = run(["fix", "-q", "repo/apps/web/app.yaml"], cwd: dir)
    XCTAssertEqual(fix.status, 0, fix.stderr)
    let fixedText = String(decoding: try Files.read(app), as: UTF8.self)
    XCTAssertTrue(fixedText.contains("privileged: false"), fixedText)
    XCTAssertFalse(fixedText.contains("resources:"), "skip: [resource-limits] did not stop the resource edits:\n\(fixedText)")
    XCTAssertEqual(Array(fixedText.utf8), stdin.stdout)

    // --config replaces the file found by walking up.
    try Files.write(Manifests.insecure, to: app)
    let overridden = run(["fix", "-q", "--config", "other.yaml", "repo/apps/web/app.yaml"], cwd: dir)
    XCTAssertEqual(overridden.status, 0, overridden.stderr)
    let overriddenText = String(decoding: try Files.read(app), as: UTF8.self)
    XCTAssertTrue(overriddenText.contains("resources:"), "--config did not replace the parent's configuration:\n\(overriddenText)")
    XCTAssertTrue(overriddenText.contains("runAsUser: 2000"), overriddenText)

    // Flags override the file.
    try Files.write(Manifests.insecure, to: app)
    let flagged = run(["check", "--only", "resource-limits", "repo/apps/web/app.yaml"], cwd: dir)
    let flaggedLines = String(decoding: flagged.stdout, as: UTF8.self).nonEmptyLines.filter { !$0.hasPrefix(" ") }
    XCTAssertFalse(flaggedLines.isEmpty)
    XCTAssertTrue(flaggedLines.allSatisfy { $0.contains("[resource-limits]") }, flaggedLines.joined(separator: "\n"))
  }

  func testBadConfigurationKeyIsAnErrorNamingTheKey() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write("skip: [resource-limits]\nbogusKey: 1\n", to: dir.appendingPathComponent(".kubeharden.yaml"))
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("app.yaml"))
    try Files.write("runAsUsr: 1000\n", to: dir.appendingPathComponent("explicit.conf"))
    for command in ["fix", "check"] {
      let result = run([command, "app.yaml"], cwd: dir)
      XCTAssertNotEqual(result.status, 0, result.stderr)
      XCTAssertNotEqual(result.status, 1, "a configuration error is not a finding: \(result.stderr)")
      XCTAssertTrue(result.stderr.contains("bogusKey"), result.stderr)
    }
    let explicit = run(["check", "--config", "explicit.conf", "app.yaml"], cwd: dir)
    XCTAssertNotEqual(explicit.status, 0)
    XCTAssertNotEqual(explicit.status, 1)
    XCTAssertTrue(explicit.stderr.contains("runAsUsr"), explicit.stderr)
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("app.yaml")), Array(Manifests.insecure.utf8))
  }

  func testTemplateIsAnError() throws {
    let dir = try makeTemporaryDirectory()
    let template = Manifests.insecure.replacingOccurrences(of: "image: registry.example.com/web", with: "image: {{ .Values.x }}")
    try Files.write(template, to: dir.appendingPathComponent("deployment.yaml"))
    for command in ["fix", "check", "diff"] {
      let result = run([command, "deployment.yaml"], cwd: dir)
      XCTAssertEqual(result.status, 2, "\(command): \(result.stderr)")
      XCTAssertTrue(result.stderr.lowercased().contains("template"), result.stderr)
      XCTAssertTrue(result.stderr.matches(#"(^|\n)deployment\.yaml:11:[0-9]+: error: "#), result.stderr)
    }
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("deployment.yaml")), Array(template.utf8))
  }

  /// Every kind of template file gets the same error, located at an action, exit 2, and names
  /// the chart folder as the way out; the other files are still processed.
  func testEveryTemplateFileIsTheSameError() throws {
    let dir = try makeTemporaryDirectory()
    var cases: [(name: String, text: String, line: Int)] = []
    // Quoted actions only: the file parses as YAML.
    let quoted = Manifests.insecure.replacingOccurrences(of: "name: web\nspec", with: "name: '{{ include \"web.fullname\" . }}'\nspec")
    cases.append(("quoted.yaml", quoted, 5))
    // Structure built by actions: libyaml cannot read it.
    let unparsable = Manifests.insecure.replacingOccurrences(of: "    spec:\n", with: "    spec:\n{{- with $x }}\n{{- end }}\n")
    XCTAssertNotEqual(unparsable, Manifests.insecure)
    cases.append(("unparsable.yaml", unparsable, 9))
    let unquoted = Manifests.insecure.replacingOccurrences(of: "runAsGroup: 3000", with: "runAsGroup: {{ .Values.gid }}")
    cases.append(("unquoted.yaml", unquoted, 13))
    for item in cases { try Files.write(item.text, to: dir.appendingPathComponent(item.name)) }
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("plain.yaml"))
    for command in ["check", "diff", "fix"] {
      let result = run([command, "."], cwd: dir)
      XCTAssertEqual(result.status, 2, "\(command): \(result.stderr)")
      for item in cases {
        let name = item.name.replacingOccurrences(of: ".", with: #"\."#)
        let pattern = #"(^|\n)(\./)?"# + name + #":\#(item.line):[0-9]+: error: template syntax '\{\{' found: this file is a template"#
        XCTAssertTrue(result.stderr.matches(pattern), "\(command) \(item.name): \(result.stderr)")
      }
      XCTAssertEqual(result.stderr.components(separatedBy: "kubeharden fix CHART_DIR").count - 1, cases.count, result.stderr)
    }
    for item in cases { XCTAssertEqual(try Files.read(dir.appendingPathComponent(item.name)), Array(item.text.utf8), item.name) }
    let plain = try Files.read(dir.appendingPathComponent("plain.yaml"))
    XCTAssertNotEqual(plain, Array(Manifests.insecure.utf8), "the manifest is still fixed")
  }

  /// Placeholders of other programs (Prometheus, Argo Workflows) in a workload's strings: it is
  /// a manifest, checked and fixed, the placeholders kept.
  func testOtherProgramsPlaceholdersAreNotTemplates() throws {
    let dir = try makeTemporaryDirectory()
    let text = Manifests.insecure.replacingOccurrences(
      of: "name: web\nspec",
      with: "name: web\n  annotations:\n    summary: \"{{ $labels.pod }} is down\"\n    run: echo {{inputs.parameters.message}}\nspec")
    try Files.write(text, to: dir.appendingPathComponent("deployment.yaml"))
    let check = run(["check", "deployment.yaml"], cwd: dir)
    XCTAssertEqual(check.status, 1, check.stderr)
    XCTAssertFalse(check.stderr.contains("template"), check.stderr)
    let fix = run(["fix", "deployment.yaml"], cwd: dir)
    XCTAssertEqual(fix.status, 0, fix.stderr)
    let fixed = String(decoding: try Files.read(dir.appendingPathComponent("deployment.yaml")), as: UTF8.self)
    XCTAssertTrue(fixed.contains("summary: \"{{ $labels.pod }} is down\"\n    run: echo {{inputs.parameters.message}}\n"), fixed)
    XCTAssertTrue(fixed.contains("allowPrivilegeEscalation: false"), fixed)
  }

  // MARK: Directory walk

  func testDirectoryWalk() throws {
    let dir = try makeTemporaryDirectory()
    let root = dir.appendingPathComponent("manifests")
    let json = """
      {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "j"},
       "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}
      """ + "\n"
    try Files.write(Manifests.insecure, to: root.appendingPathComponent("app.yaml"))
    try Files.write(Manifests.insecure, to: root.appendingPathComponent(".github__x.yaml"))
    try Files.write(Manifests.insecure, to: root.appendingPathComponent(".hidden/skipped.yaml"))
    try Files.write(Manifests.insecure, to: root.appendingPathComponent("sub/.git/skipped.yml"))
    try Files.write(Manifests.insecure, to: root.appendingPathComponent("sub/b.YML"))
    try Files.write(json, to: root.appendingPathComponent("sub/deeper/c.json"))
    for ignored in ["notes.txt", "app.yaml.bak", "sub/README.md", "Makefile"] {
      try Files.write(Manifests.invalid, to: root.appendingPathComponent(ignored))
    }
    try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("sub/loop").path, withDestinationPath: "..")
    try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("sub/deeper/self").path, withDestinationPath: ".")

    let result = run(["check", "manifests"], cwd: dir, timeout: 60)
    XCTAssertEqual(result.status, 1, "exit \(result.status): \(result.stderr)")
    let paths = Set(
      String(decoding: result.stdout, as: UTF8.self).nonEmptyLines.filter { !$0.hasPrefix(" ") }
        .compactMap { $0.split(separator: ":").first.map(String.init) })
    XCTAssertEqual(
      paths, ["manifests/.github__x.yaml", "manifests/app.yaml", "manifests/sub/b.YML", "manifests/sub/deeper/c.json"],
      result.stderr)

    let fix = run(["fix", "manifests"], cwd: dir, timeout: 60)
    XCTAssertEqual(fix.status, 0, fix.stderr)
    XCTAssertTrue(fix.stderr.contains("4 files scanned, 4 changed"), fix.stderr)
    XCTAssertEqual(try Files.read(root.appendingPathComponent(".hidden/skipped.yaml")), Array(Manifests.insecure.utf8))
    let fixedJSON = try Files.read(root.appendingPathComponent("sub/deeper/c.json"))
    XCTAssertNotEqual(fixedJSON, Array(json.utf8))
    XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(fixedJSON)), "fixed JSON is not JSON")
    XCTAssertTrue(Files.isSymlink(root.appendingPathComponent("sub/loop").path))
  }
}
