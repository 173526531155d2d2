import Foundation
import XCTest

/// Mistakes on the command line are said, not silent, and `check`/`diff` end with a summary.
final class MistakeTests: XCTestCase {
  func testMissingPathIsAnErrorOfItsOwn() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("app.yaml"))
    let result = run(["check", "nope.yaml", "app.yaml"], cwd: dir)
    XCTAssertEqual(result.status, 2)
    XCTAssertTrue(result.stderr.contains("nope.yaml: error: no such file or directory\n"), result.stderr)
    XCTAssertFalse(result.stderr.contains("nope.yaml:1:1:"), result.stderr)
    XCTAssertTrue(result.stderr.contains("kubeharden: 1 file; "), "the missing path is not a file scanned: \(result.stderr)")
    XCTAssertFalse(String(decoding: result.stdout, as: UTF8.self).contains("nope.yaml"), "errors are printed once, on stderr")
  }

  func testFolderWithoutManifestsSaysSo() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write("# notes\n", to: dir.appendingPathComponent("docs/README.md"))
    let result = run(["check", "docs"], cwd: dir)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("kubeharden: note: docs holds no manifests"), result.stderr)
  }

  func testOnlyAndSkipTheSamePassIsAUsageError() throws {
    let result = run(["check", "--only", "no-privileged,seccomp-profile", "--skip", "seccomp-profile", "-"], stdin: [])
    XCTAssertEqual(result.status, 64, result.stderr)
    XCTAssertTrue(result.stderr.contains("--only and --skip both name seccomp-profile"), result.stderr)
  }

  func testExcludedFileNamedOnTheCommandLineIsReported() throws {
    let dir = try makeTemporaryDirectory()
    try Files.write(Manifests.insecure, to: dir.appendingPathComponent("vendor/app.yaml"))
    try Files.write("exclude: [\"vendor/**\"]\n", to: dir.appendingPathComponent(".kubeharden.yaml"))
    let named = run(["check", "vendor/app.yaml"], cwd: dir)
    XCTAssertEqual(named.status, 0, named.stderr)
    XCTAssertTrue(named.stderr.contains("kubeharden: note: vendor/app.yaml is excluded by the configuration"), named.stderr)
    let walked = run(["check", "."], cwd: dir)
    XCTAssertFalse(walked.stderr.contains("is excluded"), "files found under a folder are excluded silently: \(walked.stderr)")
  }

  func testDiffOfAnAbsolutePathOrStandardInputApplies() throws {
    let dir = try makeTemporaryDirectory()
    let file = dir.appendingPathComponent("k8s/app.yaml")
    try Files.write(Manifests.insecure, to: file)
    let absolute = run(["diff", file.path], cwd: dir)
    XCTAssertEqual(absolute.status, 1, absolute.stderr)
    let patch = String(decoding: absolute.stdout, as: UTF8.self)
    XCTAssertTrue(patch.hasPrefix("--- a/k8s/app.yaml\n+++ b/k8s/app.yaml\n"), patch)
    XCTAssertTrue(absolute.stderr.contains("kubeharden: 1 file, 1 would change; "), absolute.stderr)

    let stdin = run(["diff", "--stdin-filename", "k8s/app.yaml", "-"], stdin: Array(Manifests.insecure.utf8), cwd: dir)
    XCTAssertEqual(stdin.stdout, absolute.stdout)
    let unnamed = run(["diff", "-"], stdin: Array(Manifests.insecure.utf8), cwd: dir)
    XCTAssertTrue(unnamed.stderr.contains("give --stdin-filename PATH"), unnamed.stderr)

    // git apply takes the patch of the absolute path from the working directory.
    let gitEnvironment = ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CEILING_DIRECTORIES": dir.deletingLastPathComponent().path]
    let apply = runProcess(
      URL(fileURLWithPath: "/usr/bin/git"), ["apply", "--check", "-"], stdin: absolute.stdout, cwd: dir, env: gitEnvironment, timeout: 60)
    XCTAssertEqual(apply.status, 0, apply.stderr)

    let outside = try makeTemporaryDirectory("outside")
    let elsewhere = run(["diff", file.path], cwd: outside)
    XCTAssertTrue(elsewhere.stderr.contains("is outside the working directory"), elsewhere.stderr)
  }
}
