import Dispatch
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Faults at the CLI level, against the built `kubeharden` binary: a folder of bad files, a
/// symlink loop, a file deleted while kubeharden works, a failing write, a full disk, two
/// concurrent runs, and an interrupt. After each: the right exit status, one error line per bad
/// file, every file either original or exactly the reference fix, and no temporary files.
///
/// The helpers are private and prefixed `Fault` so that they cannot clash with the shared
/// `CLITestSupport.swift`.
final class FaultTests: XCTestCase {
  // MARK: Manifests

  /// A Deployment every pass changes (comments, quotes and a blank line to keep).
  static func insecure(_ name: String) -> String {
    """
    # app \(name)
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: \(name)
    spec:
      template:
        spec:
          containers:
          - name: web
            image: "nginx:1.27"   # pinned

            securityContext:
              privileged: true

    """
  }

  /// A Pod with nothing to fix (the contract tests' one, renamed).
  static func compliant(_ name: String) -> String {
    Manifests.compliant.replacingOccurrences(of: "  name: ok\n", with: "  name: \(name)\n")
  }

  /// A JSON Pod that needs fixing.
  static func json(_ name: String) -> String {
    """
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "\(name)"},
      "spec": {"containers": [{"name": "app", "image": "nginx"}]}
    }

    """
  }

  /// Several shapes, so that a tree is not one file copied: Deployment, compliant Pod, JSON,
  /// CRLF line breaks, two documents.
  static func treeFile(_ index: Int) -> (name: String, text: String) {
    let name = String(format: "f%04d", index)
    switch index % 5 {
    case 0: return (name + ".yaml", insecure("app\(index)"))
    case 1: return (name + ".yaml", compliant("ok\(index)"))
    case 2: return (name + ".json", json("j\(index)"))
    case 3: return (name + ".yaml", insecure("crlf\(index)").replacingOccurrences(of: "\n", with: "\r\n"))
    default: return (name + ".yml", insecure("a\(index)") + "---\n" + json("b\(index)"))
    }
  }

  // MARK: Catalogue of bad files

  func testCatalogueOfBadFilesInOneDirectory() throws {
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    // Files that must produce an error line and stay byte-identical.
    var errors: [String: [UInt8]] = [:]
    var random = FaultRandom(state: 42)
    var blob = random.bytes(3000)
    blob[0] = 0x7F
    blob[1] = 0x45
    blob[100] = 0
    errors["binary.yaml"] = blob
    errors["invalid-utf8.yaml"] = Array("apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf".utf8) + [0xE9] + Array("\n".utf8)
    let podText = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
    errors["utf16-bom.yaml"] = [0xFF, 0xFE] + Array(podText.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    errors["utf16-no-bom.yaml"] = Array(podText.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    errors["nul.yaml"] = Array("apiVersion: v1\nkind: Pod\nmetadata:\n  name: we".utf8) + [0] + Array("b\n".utf8)
    errors["flow-100000.yaml"] = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n").utf8)
    errors["block-10000.yaml"] = Array((String(repeating: "- ", count: 10_000) + "x\n").utf8)
    errors["long-key.yaml"] = Array("apiVersion: v1\nkind: ConfigMap\ndata:\n  \(String(repeating: "k", count: 2000)): v\n".utf8)
    errors["template.yaml"] = Array(Self.insecure("web").replacingOccurrences(of: "privileged: true", with: "privileged: {{ .Values.x }}").utf8)
    errors["tabs.yaml"] = Array("apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n".utf8)
    for (name, bytes) in errors { try FaultFiles.write(bytes, to: dir.appendingPathComponent(name)) }
    // A sparse file over the 256 MiB cap: refused from its size, never read.
    let huge = dir.appendingPathComponent("huge.yaml")
    try FaultFiles.write(Array("a: 1\n".utf8), to: huge)
    XCTAssertEqual(truncate(huge.path, 300 << 20), 0, "cannot make a sparse file")
    let hugeHead = try FaultFiles.head(huge, 64)

    // Files that are not errors but must stay byte-identical.
    var untouched: [String: [UInt8]] = [:]
    untouched["empty.yaml"] = []
    untouched["comments.yaml"] = Array("# only\n# comments\n".utf8)
    // Duplicate keys: the container is left as written (pod-level passes may still edit the pod).
    let duplicate = Self.compliant("dup").replacingOccurrences(of: "      privileged: false\n", with: "      privileged: true\n      privileged: true\n")
    let duplicateContainer = String(duplicate[duplicate.range(of: "  - name: app")!.lowerBound...])
    try FaultFiles.write(Array(duplicate.utf8), to: dir.appendingPathComponent("duplicate-keys.yaml"))
    let duplicateReference = try FaultRunner.referenceFix(Array(duplicate.utf8), binary: binary, cwd: dir)
    XCTAssertTrue(String(decoding: duplicateReference, as: UTF8.self).contains(duplicateContainer))
    var laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in 1...9 { laughs += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
    untouched["billion-laughs.yaml"] = Array(laughs.utf8)
    untouched["kustomize-delete.yaml"] = Array("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n$patch: delete\n".utf8)
    untouched["aliased-template.yaml"] = Array(
      """
      apiVersion: v1
      kind: List
      items:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: one}
        spec:
          template: &tpl
            spec:
              containers: [{name: app, image: nginx}]
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: two}
        spec: {template: *tpl}

      """.utf8)
    for (name, bytes) in untouched { try FaultFiles.write(bytes, to: dir.appendingPathComponent(name)) }

    // Two good files, fixed like `fix -` fixes them.
    let goods = ["good-deployment.yaml": Array(Self.insecure("good").utf8), "good-pod.json": Array(Self.json("good").utf8)]
    var references: [String: [UInt8]] = [:]
    for (name, bytes) in goods {
      try FaultFiles.write(bytes, to: dir.appendingPathComponent(name))
      references[name] = try FaultRunner.referenceFix(bytes, binary: binary, cwd: dir)
      XCTAssertNotEqual(references[name], bytes, "\(name) must need a fix")
    }

    for command in ["check", "fix"] {
      let result = runProcess(binary, [command, dir.path], timeout: 120)
      XCTAssertEqual(result.status, 2, "\(command): \(result.stderr)")
      XCTAssertLessThan(result.seconds, 60, "\(command) took \(result.seconds) s")
      let errorLines = result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
      for name in Array(errors.keys) + ["huge.yaml"] {
        let path = dir.appendingPathComponent(name).path
        let lines = errorLines.filter { $0.hasPrefix(path + ":") }
        XCTAssertEqual(lines.count, 1, "\(command): one error line for \(name), got \(lines)\n\(result.stderr)")
        if let line = lines.first {
          XCTAssertTrue(FaultFiles.isLocatedError(line, path: path), "\(command): not path:line:col: error: … — \(line)")
        }
      }
      for name in Array(untouched.keys) + Array(goods.keys) + ["duplicate-keys.yaml"] {
        let path = dir.appendingPathComponent(name).path
        XCTAssertFalse(errorLines.contains { $0.hasPrefix(path + ":") }, "\(command): \(name) is not an error\n\(result.stderr)")
      }
      XCTAssertEqual(errorLines.count, errors.count + 1, "\(command): \(errorLines)")
    }
    let hugeLine = runProcess(binary, ["check", huge.path]).stderr
    XCTAssertTrue(hugeLine.contains("larger than the limit"), hugeLine)
    for (name, bytes) in errors.merging(untouched, uniquingKeysWith: { a, _ in a }) {
      XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent(name)), bytes, "\(name) must be byte-identical")
    }
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("duplicate-keys.yaml")), duplicateReference)
    XCTAssertEqual(try FaultFiles.head(huge, 64), hugeHead)
    XCTAssertEqual(FaultFiles.size(huge), 300 << 20)
    for (name, reference) in references {
      XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent(name)), reference, "\(name) must be fixed")
    }
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
  }

  // MARK: File system

  /// A run killed by SIGKILL leaves its temporary files: the next `fix` over the tree removes
  /// those whose process is gone, and only those (never a running fix's); `check` and `diff`
  /// leave them alone.
  func testTemporaryFilesOfKilledRunsAreRemovedByTheNextFix() throws {
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    let original = Array(Self.insecure("web").utf8)
    try FaultFiles.write(original, to: dir.appendingPathComponent("app.yaml"))
    // A process that has ended: its pid names no process now.
    let ended = try StartedProcess(URL(fileURLWithPath: "/bin/true"), [])
    XCTAssertEqual(ended.wait(timeout: 30).status, 0)
    let dead = dir.appendingPathComponent(".app.yaml.kubeharden-\(ended.pid)-3")
    let alive = dir.appendingPathComponent(".app.yaml.kubeharden-\(getpid())-1")
    let unrelated = dir.appendingPathComponent(".app.yaml.kubeharden-notapid")
    for leftover in [dead, alive, unrelated] { try FaultFiles.write(Array("partial".utf8), to: leftover) }
    for command in ["check", "diff"] {
      _ = runProcess(binary, [command, dir.path])
      XCTAssertTrue(FileManager.default.fileExists(atPath: dead.path), "\(command) must not remove files")
    }
    let result = runProcess(binary, ["fix", dir.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path), "the dead run's temporary file must be removed")
    XCTAssertTrue(result.stderr.contains("removed \(dead.path)"), result.stderr)
    XCTAssertTrue(FileManager.default.fileExists(atPath: alive.path), "a live process's temporary file must stay")
    XCTAssertTrue(FileManager.default.fileExists(atPath: unrelated.path), "a name that does not parse must stay")
    XCTAssertNotEqual(try FaultFiles.read(dir.appendingPathComponent("app.yaml")), original, "the manifest is still fixed")
  }

  func testDirectorySymlinkLoopDoesNotHang() throws {
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    let original = Array(Self.insecure("loop").utf8)
    try FaultFiles.write(original, to: dir.appendingPathComponent("a/app.yaml"))
    XCTAssertEqual(symlink("..", dir.appendingPathComponent("a/up").path), 0)  // a/up -> dir
    XCTAssertEqual(symlink(".", dir.appendingPathComponent("a/self").path), 0)  // a/self -> a
    XCTAssertEqual(symlink(dir.path, dir.appendingPathComponent("a/abs").path), 0)
    XCTAssertEqual(symlink("spin.yaml", dir.appendingPathComponent("spin.yaml").path), 0)  // ELOOP file
    let reference = try FaultRunner.referenceFix(original, binary: binary, cwd: dir)
    let result = runProcess(binary, ["fix", dir.path], timeout: 60)
    XCTAssertNotEqual(result.status, -1, "kubeharden hung on a symlink loop: \(result.stderr)")
    XCTAssertLessThan(result.seconds, 30)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("a/app.yaml")), reference)
    XCTAssertTrue(result.stderr.contains("1 file scanned"), "the file must be found once: \(result.stderr)")
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
  }

  /// One file reached through two paths (a symlink next to it, or two spellings of its path)
  /// is one file: it is fixed once, without a spurious "changed while kubeharden was working"
  /// error for the second path.
  func testSameFileThroughTwoPathsIsFixedOnce() throws {
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    let original = Array(Self.insecure("twice").utf8)
    let file = dir.appendingPathComponent("app.yaml")
    try FaultFiles.write(original, to: file)
    XCTAssertEqual(symlink("app.yaml", dir.appendingPathComponent("link.yaml").path), 0)
    let reference = try FaultRunner.referenceFix(original, binary: binary, cwd: dir)
    let viaSymlink = runProcess(binary, ["fix", dir.path])
    XCTAssertEqual(viaSymlink.status, 0, "symlink to a file of the same tree: \(viaSymlink.stderr)")
    XCTAssertEqual(try FaultFiles.read(file), reference)
    XCTAssertTrue(FaultFiles.isSymlink(dir.appendingPathComponent("link.yaml").path), "the symlink stays a symlink")

    try FaultFiles.write(original, to: file)
    let twoSpellings = runProcess(binary, ["fix", dir.path, dir.path + "/./app.yaml"], cwd: dir)
    XCTAssertEqual(twoSpellings.status, 0, "two spellings of one path: \(twoSpellings.stderr)")
    XCTAssertEqual(try FaultFiles.read(file), reference)
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
  }

  /// A file removed after the directory scan, before kubeharden reads it: an error for that
  /// file only ("cannot read"), the others fixed, no temporary file.
  func testFileDeletedAfterScanBeforeRead() throws {
    // The victim sorts last; once kubeharden has any file of the tree open, the scan is over
    // (files are read after the whole tree is collected).
    try deleteDuringRun(victim: "zzzz-victim.yaml", expecting: ["cannot read", "vanished"]) { _ in true }
  }

  /// A file removed after kubeharden read it, before it writes the fix: an error for that file
  /// only ("vanished"), the file is not re-created, the others fixed, no temporary file.
  func testFileDeletedBetweenReadAndWrite() throws {
    // The window between the read and the temporary file's creation is too short to hit from
    // outside: the test hook deletes the file in it.
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    var originals: [String: [UInt8]] = [:]
    for name in ["a.yaml", "victim.yaml", "c.yaml"] {
      originals[name] = Array(Self.insecure(String(name.prefix(1))).utf8)
      try FaultFiles.write(originals[name]!, to: dir.appendingPathComponent(name))
    }
    let reference = try FaultRunner.referenceFix(originals["a.yaml"]!, binary: binary, cwd: dir)
    let result = runProcess(binary, ["fix", dir.path], env: ["KUBEHARDEN_TEST_DELETE_BEFORE_WRITE": "/victim.yaml"])
    XCTAssertEqual(result.status, 2, result.stderr)
    let errorLines = result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
    XCTAssertEqual(errorLines.count, 1, result.stderr)
    XCTAssertTrue(errorLines.first?.contains("vanished") ?? false, "\(errorLines)")
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("victim.yaml").path), "a vanished file is not recreated")
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("a.yaml")), reference)
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
  }

  func deleteDuringRun(
    victim victimName: String, expecting messages: [String], when isTrigger: @escaping (String) -> Bool, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let binary = try FaultBinary.require()
    guard FileManager.default.fileExists(atPath: "/proc/self/fd") else {
      throw XCTSkip("SKIPPED: needs /proc to see which file kubeharden is reading")
    }
    var files = 300
    for attempt in 1...4 {
      let dir = try faultTemporaryDirectory("deleted\(attempt)")
      var originals: [String: [UInt8]] = [:]
      for index in 0..<files {
        let name = String(format: "f%04d.yaml", index)
        originals[name] = Array(Self.insecure("app\(index)").utf8)
        try FaultFiles.write(originals[name]!, to: dir.appendingPathComponent(name))
      }
      let victim = dir.appendingPathComponent(victimName)
      try FaultFiles.write(Array(Self.insecure("victim").utf8), to: victim)
      let reference = try FaultRunner.referenceFix(originals["f0000.yaml"]!, binary: binary, cwd: dir)

      let running = try StartedProcess(binary, ["fix", dir.path])
      let triggered = FaultProc.waitForOpenFile(pid: running.pid, under: dir.path, timeout: 30) { isTrigger(($0 as NSString).lastPathComponent) }
      let removed = unlink(victim.path) == 0
      let result = running.wait(timeout: 120)
      XCTAssertTrue(removed, file: file, line: line)
      guard triggered else {
        // Done before the moment came: try again with a bigger tree.
        files *= 3
        continue
      }
      XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
      let errorLines = result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
      XCTAssertEqual(errorLines.count, 1, result.stderr, file: file, line: line)
      let message = errorLines.first ?? ""
      XCTAssertTrue(FaultFiles.isLocatedError(message, path: victim.path), message, file: file, line: line)
      XCTAssertTrue(messages.contains { message.contains($0) }, "expected one of \(messages): \(message)", file: file, line: line)
      XCTAssertFalse(FileManager.default.fileExists(atPath: victim.path), "the deleted file must not come back", file: file, line: line)
      print("FaultTests: deleted \(victimName) (attempt \(attempt), \(files) files): \(message)")
      XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("f0000.yaml")), reference, file: file, line: line)
      for (name, original) in originals {
        XCTAssertNotEqual(try FaultFiles.read(dir.appendingPathComponent(name)), original, "\(name) must be fixed", file: file, line: line)
      }
      XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [], file: file, line: line)
      return
    }
    XCTFail("kubeharden was always done before the victim could be deleted", file: file, line: line)
  }

  /// `KUBEHARDEN_TEST_FAIL_WRITE` makes the rename of one file fail after its temporary file
  /// was written: that file keeps its bytes, its temporary file is removed, the others are fixed.
  func testWriteFailureAffectsOnlyThatFile() throws {
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    var originals: [String: [UInt8]] = [:]
    for name in ["a.yaml", "b.yaml", "c.yaml"] {
      originals[name] = Array(Self.insecure(String(name.prefix(1))).utf8)
      try FaultFiles.write(originals[name]!, to: dir.appendingPathComponent(name))
    }
    XCTAssertEqual(chmod(dir.appendingPathComponent("b.yaml").path, 0o640), 0)
    var references: [String: [UInt8]] = [:]
    for (name, bytes) in originals { references[name] = try FaultRunner.referenceFix(bytes, binary: binary, cwd: dir) }
    let result = runProcess(binary, ["fix", dir.path], env: ["KUBEHARDEN_TEST_FAIL_WRITE": "/b.yaml"])
    XCTAssertEqual(result.status, 2, result.stderr)
    let errorLines = result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
    let victim = dir.appendingPathComponent("b.yaml").path
    XCTAssertEqual(errorLines.count, 1, result.stderr)
    XCTAssertTrue(errorLines.first.map { FaultFiles.isLocatedError($0, path: victim) } ?? false, "\(errorLines)")
    XCTAssertTrue(errorLines.first?.contains("injected write failure") ?? false, "\(errorLines)")
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("b.yaml")), originals["b.yaml"])
    XCTAssertEqual(FaultFiles.mode(victim), 0o640)
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("a.yaml")), references["a.yaml"])
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("c.yaml")), references["c.yaml"])
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
    XCTAssertTrue(result.stderr.contains("2 changed"), result.stderr)
  }

  /// The same fault without the test hook: a file that is a bind mount of itself cannot be
  /// replaced (`rename` fails with EBUSY after the temporary file is written and synced).
  func testRenameFailureAffectsOnlyThatFile() throws {
    let binary = try FaultBinary.require()
    guard getuid() == 0 else { throw XCTSkip("SKIPPED: a bind mount needs root") }
    let dir = try faultTemporaryDirectory()
    var originals: [String: [UInt8]] = [:]
    for name in ["a.yaml", "b.yaml", "c.yaml"] {
      originals[name] = Array(Self.insecure(String(name.prefix(1))).utf8)
      try FaultFiles.write(originals[name]!, to: dir.appendingPathComponent(name))
    }
    let victim = dir.appendingPathComponent("b.yaml").path
    let mount = runProcess(URL(fileURLWithPath: "/bin/mount"), ["--bind", victim, victim], timeout: 30)
    guard mount.status == 0 else {
      throw XCTSkip("SKIPPED: cannot bind-mount a file here (status \(mount.status)): \(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    addTeardownBlock { _ = runProcess(URL(fileURLWithPath: "/bin/umount"), ["-l", victim], timeout: 30) }
    var references: [String: [UInt8]] = [:]
    for (name, bytes) in originals { references[name] = try FaultRunner.referenceFix(bytes, binary: binary, cwd: dir) }
    let result = runProcess(binary, ["fix", dir.path])
    XCTAssertEqual(result.status, 2, result.stderr)
    let errorLines = result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
    XCTAssertEqual(errorLines.count, 1, result.stderr)
    XCTAssertTrue(errorLines.first.map { FaultFiles.isLocatedError($0, path: victim) } ?? false, "\(errorLines)")
    XCTAssertTrue(errorLines.first?.contains("cannot replace the file") ?? false, "\(errorLines)")
    XCTAssertEqual(try FaultFiles.read(URL(fileURLWithPath: victim)), originals["b.yaml"])
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("a.yaml")), references["a.yaml"])
    XCTAssertEqual(try FaultFiles.read(dir.appendingPathComponent("c.yaml")), references["c.yaml"])
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
  }

  /// A 64 KiB tmpfs with a 40 KB file: the temporary copy does not fit, the write fails with
  /// ENOSPC, the original is intact and the temporary file is gone.
  func testFullDiskLeavesTheOriginalIntact() throws {
    let binary = try FaultBinary.require()
    guard getuid() == 0 else { throw XCTSkip("SKIPPED: mounting a 64k tmpfs needs root") }
    let dir = try faultTemporaryDirectory()
    let mountPoint = dir.appendingPathComponent("small")
    try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
    let mount = runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path], timeout: 30)
    guard mount.status == 0 else {
      throw XCTSkip("SKIPPED: cannot mount a 64k tmpfs here (status \(mount.status)): \(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    addTeardownBlock { _ = runProcess(URL(fileURLWithPath: "/bin/umount"), ["-l", mountPoint.path], timeout: 30) }

    var text = Self.insecure("full")
    var padding = ""
    while text.utf8.count + padding.utf8.count < 40_000 { padding += "# padding line to fill the small file system ........................\n" }
    text = padding + text
    let original = Array(text.utf8)
    let file = mountPoint.appendingPathComponent("big.yaml")
    try FaultFiles.write(original, to: file)
    let reference = try FaultRunner.referenceFix(original, binary: binary, cwd: dir)
    var fs = statvfs()
    XCTAssertEqual(statvfs(mountPoint.path, &fs), 0)
    let free = Int(fs.f_bavail) * Int(fs.f_frsize)
    XCTAssertLessThan(free, reference.count, "the fixed copy must not fit (free \(free) bytes)")

    let result = runProcess(binary, ["fix", file.path])
    XCTAssertEqual(result.status, 2, result.stderr)
    let errorLines = result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
    XCTAssertEqual(errorLines.count, 1, result.stderr)
    XCTAssertTrue(errorLines.first.map { FaultFiles.isLocatedError($0, path: file.path) } ?? false, "\(errorLines)")
    XCTAssertTrue(errorLines.first?.contains("No space left on device") ?? false, "\(errorLines)")
    XCTAssertEqual(try FaultFiles.read(file), original, "the original must be intact")
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: mountPoint), [])
  }

  // MARK: Concurrency and signals

  /// Two `fix` runs on the same 200-file tree at once: every file ends original or exactly the
  /// reference fix, parses, and no temporary file is left.
  func testTwoConcurrentFixesOnTheSameTree() throws {
    let binary = try FaultBinary.require()
    let (dir, originals, references) = try makeTree(files: 200, binary: binary)
    let first = try StartedProcess(binary, ["fix", dir.path])
    let second = try StartedProcess(binary, ["fix", dir.path])
    let results = [first.wait(timeout: 300), second.wait(timeout: 300)]
    for result in results {
      XCTAssertTrue([0, 2].contains(result.status), "status \(result.status): \(result.stderr)")
      // The only acceptable error: the other run changed the file first.
      for line in result.stderr.split(separator: "\n") where line.contains(": error: ") {
        XCTAssertTrue(line.contains("changed while kubeharden was working on it"), String(line))
      }
    }
    print("FaultTests: concurrent runs exited \(results.map(\.status)) in \(results.map { String(format: "%.2f s", $0.seconds) })")
    var fixedCount = 0
    for (name, original) in originals {
      let now = try FaultFiles.read(dir.appendingPathComponent(name))
      XCTAssertTrue(now == original || now == references[name], "\(name) is neither original nor the reference fix")
      if now != original { fixedCount += 1 }
    }
    XCTAssertEqual(fixedCount, references.filter { originals[$0.key] != $0.value }.count, "every fixable file is fixed by one of the runs")
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [])
    let check = runProcess(binary, ["check", dir.path])
    XCTAssertNotEqual(check.status, 2, "every file must still parse: \(check.stderr)")
  }

  func testSIGINTLeavesEveryFileOriginalOrFixed() throws {
    try interrupt(with: SIGINT, files: 2_000)
  }

  func testSIGTERMLeavesEveryFileOriginalOrFixed() throws {
    try interrupt(with: SIGTERM, files: 500)
  }

  /// An interrupted `check` has not seen every file: it must not exit 0 ("no findings") or 1
  /// as if its report were complete (a bad file it never reached would have made it 2).
  func testInterruptedCheckDoesNotLookComplete() throws {
    let binary = try FaultBinary.require()
    let dir = try faultTemporaryDirectory()
    for index in 0..<2_000 {
      try FaultFiles.write(Array(Self.compliant("ok\(index)").utf8), to: dir.appendingPathComponent(String(format: "f%04d.yaml", index)))
    }
    try FaultFiles.write(Array("a: [1, 2\n".utf8), to: dir.appendingPathComponent("zzzz-invalid.yaml"))
    for command in ["check", "diff"] {
      let running = try StartedProcess(binary, [command, dir.path])
      Thread.sleep(forTimeInterval: 0.1)
      XCTAssertTrue(FaultProc.waitForCaughtSignal(pid: running.pid, signal: SIGINT, timeout: 10))
      XCTAssertEqual(kill(running.pid, SIGINT), 0)
      let result = running.wait(timeout: 300)
      if result.stderr.contains("zzzz-invalid.yaml") { continue }  // it finished before the signal
      XCTAssertFalse(result.signaled, command)
      XCTAssertEqual(result.status, 130, "\(command) was interrupted but exited \(result.status): \(result.stderr.suffix(300))")
    }
  }

  func interrupt(with signal: Int32, files: Int, file: StaticString = #filePath, line: UInt = #line) throws {
    let binary = try FaultBinary.require()
    let (dir, originals, references) = try makeTree(files: files, binary: binary)
    let started = Date()
    let running = try StartedProcess(binary, ["fix", dir.path])
    // ~100 ms in, and not before the handler is installed (a signal that lands while the
    // process is still starting kills it the default way, which says nothing about kubeharden).
    Thread.sleep(forTimeInterval: 0.1)
    let handled = FaultProc.waitForCaughtSignal(pid: running.pid, signal: signal, timeout: 10)
    XCTAssertTrue(handled, "kubeharden never installed a handler for signal \(signal)", file: file, line: line)
    let sentAfter = Date().timeIntervalSince(started)
    XCTAssertEqual(kill(running.pid, signal), 0, file: file, line: line)
    let result = running.wait(timeout: 300)
    XCTAssertFalse(result.signaled, "killed by the signal instead of handling it", file: file, line: line)
    XCTAssertTrue([0, 130].contains(result.status), "exit status \(result.status): \(result.stderr)", file: file, line: line)
    var fixed = 0
    var untouched = 0
    for (name, original) in originals {
      let now = try FaultFiles.read(dir.appendingPathComponent(name))
      if now == original { untouched += 1 } else if now == references[name] { fixed += 1 } else {
        XCTFail("\(name) is neither original nor the reference fix", file: file, line: line)
      }
    }
    XCTAssertEqual(FaultFiles.temporaryLeftovers(in: dir), [], file: file, line: line)
    print(
      "FaultTests: signal \(signal) after \(String(format: "%.3f", sentAfter)) s: exit \(result.status) after "
        + "\(String(format: "%.2f", result.seconds)) s; \(fixed) fixed, \(untouched) unchanged of \(files)")
  }

  /// A tree of `files` files of several shapes, with the reference fix of every file (from a
  /// `fix` run on a copy).
  func makeTree(files: Int, binary: URL) throws -> (URL, [String: [UInt8]], [String: [UInt8]]) {
    let dir = try faultTemporaryDirectory("tree")
    let copy = try faultTemporaryDirectory("reference")
    var originals: [String: [UInt8]] = [:]
    for index in 0..<files {
      let (name, text) = Self.treeFile(index)
      let relative = "d\(index % 10)/" + name
      originals[relative] = Array(text.utf8)
      try FaultFiles.write(originals[relative]!, to: dir.appendingPathComponent(relative))
      try FaultFiles.write(originals[relative]!, to: copy.appendingPathComponent(relative))
    }
    let reference = runProcess(binary, ["fix", copy.path], timeout: 600)
    XCTAssertEqual(reference.status, 0, reference.stderr)
    var references: [String: [UInt8]] = [:]
    for name in originals.keys { references[name] = try FaultFiles.read(copy.appendingPathComponent(name)) }
    XCTAssertGreaterThan(references.filter { originals[$0.key] != $0.value }.count, files / 2)
    return (dir, originals, references)
  }

  // MARK: Temporary folders

  func faultTemporaryDirectory(_ label: String = #function) throws -> URL {
    let safe = label.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-fault-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    let resolved = url.resolvingSymlinksInPath()
    addTeardownBlock { try? FileManager.default.removeItem(at: resolved) }
    return resolved
  }
}

// MARK: - Private helpers

/// Finds the `kubeharden` executable: `$KUBEHARDEN_BINARY`, next to the test bundle (whatever
/// the scratch path), else `.build/debug/kubeharden`.
private enum FaultBinary {
  static let url: URL? = {
    var candidates: [URL] = []
    if let configured = ProcessInfo.processInfo.environment["KUBEHARDEN_BINARY"], !configured.isEmpty {
      candidates.append(URL(fileURLWithPath: configured))
    }
    for bundle in [Bundle.main] + Bundle.allBundles {
      candidates.append(bundle.bundleURL.appendingPathComponent("kubeharden"))
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("kubeharden"))
    }
    for argument in CommandLine.arguments where argument.hasSuffix(".xctest") || argument == CommandLine.arguments.first {
      candidates.append(URL(fileURLWithPath: argument).deletingLastPathComponent().appendingPathComponent("kubeharden"))
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/kubeharden"))
    return candidates.first { url in
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
        && FileManager.default.isExecutableFile(atPath: url.path)
    }
  }()

  static func require() throws -> URL {
    guard let url else { throw XCTSkip("SKIPPED: the kubeharden binary was not found (build it, or set KUBEHARDEN_BINARY)") }
    return url
  }
}

private enum FaultRunner {
  /// What `kubeharden fix -` makes of `bytes` (the reference for a fixed file).
  static func referenceFix(_ bytes: [UInt8], binary: URL, cwd: URL) throws -> [UInt8] {
    let result = runProcess(binary, ["fix", "-"], stdin: bytes, cwd: cwd)
    guard result.status == 0 else { throw FaultError("reference fix failed (\(result.status)): \(result.stderr)") }
    return result.stdout
  }
}

private struct FaultError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Looks into `/proc` for what a running process does.
private enum FaultProc {
  /// Waits until `pid` has a file under `folder` open that `accept`s (true), or exits / times
  /// out (false).
  static func waitForOpenFile(pid: pid_t, under folder: String, timeout: TimeInterval, where accept: (String) -> Bool = { _ in true }) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    let fdDir = "/proc/\(pid)/fd"
    while Date() < deadline {
      guard let entries = try? FileManager.default.contentsOfDirectory(atPath: fdDir) else { return false }
      for entry in entries {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdDir + "/" + entry),
          target.hasPrefix(folder + "/"), target.hasSuffix(".yaml"), accept(target)
        {
          return true
        }
      }
      usleep(200)
    }
    return false
  }

  /// Waits until `pid` catches `signal` (its handler is installed), per `/proc/<pid>/status`.
  static func waitForCaughtSignal(pid: pid_t, signal: Int32, timeout: TimeInterval) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
      if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
        let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16),
        mask & (UInt64(1) << UInt64(signal - 1)) != 0
      {
        return true
      }
      usleep(1000)
    }
    return false
  }
}

private enum FaultFiles {
  static func write(_ bytes: [UInt8], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  static func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

  static func head(_ url: URL, _ count: Int) throws -> [UInt8] {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    return Array(handle.readData(ofLength: count))
  }

  static func size(_ url: URL) -> Int {
    var info = stat()
    return stat(url.path, &info) == 0 ? Int(info.st_size) : -1
  }

  static func isSymlink(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
  }

  static func mode(_ path: String) -> mode_t? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
  }

  /// Every `.*.kubeharden-*` temporary file under `folder`.
  static func temporaryLeftovers(in folder: URL) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var leftovers: [String] = []
    for case let relative as String in walker where (relative as NSString).lastPathComponent.contains(".kubeharden-") {
      leftovers.append(relative)
    }
    return leftovers
  }

  /// Whether `line` is `path:LINE:COL: error: message` with LINE and COL >= 1 and a message.
  static func isLocatedError(_ line: String, path: String) -> Bool {
    guard line.hasPrefix(path + ":") else { return false }
    let rest = line.dropFirst(path.count + 1)
    let parts = rest.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, let row = Int(parts[0]), let column = Int(parts[1]), row >= 1, column >= 1 else { return false }
    return parts[2].hasPrefix(" error: ") && parts[2].count > " error: ".count
  }
}

/// A deterministic byte generator (SplitMix64).
private struct FaultRandom {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
