import Foundation
import XCTest

/// `namespace-limit-range` over several files of one run: a LimitRange in another input covers
/// a Namespace, the same Namespace in two files gets one in each (one object: same name), `check`
/// points at the Namespace, `diff` shows the new document, and a second `fix` adds nothing.
final class NamespaceLimitRangeCLITests: XCTestCase {
  static func namespace(_ name: String) -> String { "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(name)\n" }
  static let limitRange =
    "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: own\n  namespace: covered\nspec:\n  limits:\n  - type: Container\n    default: {memory: 1Gi}\n"

  func makeTree() throws -> URL {
    let dir = try makeTemporaryDirectory()
    try Files.write(Self.namespace("covered"), to: dir.appendingPathComponent("a-covered.yaml"))
    try Files.write(Self.namespace("twice"), to: dir.appendingPathComponent("b-twice.yaml"))
    try Files.write("# the same namespace again\n" + Self.namespace("twice"), to: dir.appendingPathComponent("c-twice.yaml"))
    try Files.write(Self.namespace("alone"), to: dir.appendingPathComponent("d-alone.yaml"))
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("policy"), withIntermediateDirectories: true)
    // Last in input order: a file that waits must still see it.
    try Files.write(Self.limitRange, to: dir.appendingPathComponent("policy/z-limits.yaml"))
    return dir
  }

  func testCheckReportsTheNamespacesNoOtherFileCovers() throws {
    _ = try TestPaths.requireBinary()
    let dir = try makeTree()
    let result = run(["check", "."], cwd: dir)
    XCTAssertEqual(result.status, 1, result.stderr)
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").filter { $0.contains("[namespace-limit-range]") }
    XCTAssertEqual(
      lines,
      [
        "./b-twice.yaml:1:1: warning[namespace-limit-range]: Namespace 'twice' has no LimitRange",
        "./c-twice.yaml:2:1: warning[namespace-limit-range]: Namespace 'twice' has no LimitRange",
        "./d-alone.yaml:1:1: warning[namespace-limit-range]: Namespace 'alone' has no LimitRange",
      ])
  }

  func testDiffShowsTheNewDocument() throws {
    _ = try TestPaths.requireBinary()
    let dir = try makeTree()
    let result = run(["diff", "d-alone.yaml", "policy"], cwd: dir)
    XCTAssertEqual(result.status, 1, result.stderr)
    let diff = String(decoding: result.stdout, as: UTF8.self)
    XCTAssertTrue(diff.contains("--- a/d-alone.yaml\n+++ b/d-alone.yaml\n"), diff)
    XCTAssertTrue(
      diff.contains("   name: alone\n+---\n+apiVersion: v1\n+kind: LimitRange\n+metadata:\n+  name: default-limits\n+  namespace: alone\n"),
      diff)
    XCTAssertFalse(diff.contains("z-limits"), diff)
  }

  func testFixAddsALimitRangeWhereNoFileHasOneAndASecondRunNothing() throws {
    _ = try TestPaths.requireBinary()
    let dir = try makeTree()
    let result = run(["fix", "."], cwd: dir)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("5 files scanned, 3 changed, 3 fixes applied (namespace-limit-range 3)"), result.stderr)
    XCTAssertEqual(try Files.read(dir.appendingPathComponent("a-covered.yaml")), Array(Self.namespace("covered").utf8))
    let twice = String(decoding: try Files.read(dir.appendingPathComponent("b-twice.yaml")), as: UTF8.self)
    XCTAssertTrue(twice.hasPrefix(Self.namespace("twice") + "---\napiVersion: v1\nkind: LimitRange\n"), twice)
    XCTAssertTrue(twice.contains("  namespace: twice\n"), twice)
    let copy = String(decoding: try Files.read(dir.appendingPathComponent("c-twice.yaml")), as: UTF8.self)
    XCTAssertEqual(copy, "# the same namespace again\n" + twice)
    let again = run(["fix", "."], cwd: dir)
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertTrue(again.stderr.contains("5 files scanned, 0 changed, 0 fixes applied"), again.stderr)
  }

  func testStandardInputWithTheLimitRangeAfterItsNamespace() throws {
    _ = try TestPaths.requireBinary()
    let stream = Self.namespace("covered") + "---\n" + Self.limitRange + "---\n" + Self.namespace("open")
    let result = run(["fix", "-"], stdin: Array(stream.utf8))
    XCTAssertEqual(result.status, 0, result.stderr)
    let output = String(decoding: result.stdout, as: UTF8.self)
    XCTAssertEqual(output.components(separatedBy: "kind: LimitRange").count - 1, 2, output)
    XCTAssertTrue(
      output.hasSuffix(
        "  name: default-limits\n  namespace: open\nspec:\n  limits:\n  - type: Container\n    default:\n      cpu: 500m\n      memory: 512Mi\n    defaultRequest:\n      cpu: 200m\n      memory: 256Mi\n"
      ), output)
  }

  func testConfiguredNameAndExclusion() throws {
    _ = try TestPaths.requireBinary()
    let dir = try makeTemporaryDirectory()
    try Files.write("limitRange:\n  name: team-defaults\n  exclude: [alone]\n", to: dir.appendingPathComponent(".kubeharden.yaml"))
    try Files.write(Self.namespace("alone") + "---\n" + Self.namespace("kube-system"), to: dir.appendingPathComponent("ns.yaml"))
    let result = run(["check", "ns.yaml"], cwd: dir)
    XCTAssertEqual(
      String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first.map(String.init),
      "ns.yaml:6:1: warning[namespace-limit-range]: Namespace 'kube-system' has no LimitRange")
    try Files.write("limitRange:\n  name: Not_A_Name\n", to: dir.appendingPathComponent(".kubeharden.yaml"))
    let bad = run(["check", "ns.yaml"], cwd: dir)
    XCTAssertEqual(bad.status, 2, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("limitRange.name: 'Not_A_Name' is not a DNS subdomain name"), bad.stderr)
  }
}
