import Foundation
import XCTest
import YAMLSource

@testable import KubeHarden

/// A large file split at document boundaries and processed on all cores gives exactly what the
/// whole-file run gives: the same bytes, edits, findings and locations.
final class ParallelPipelineTests: XCTestCase {
  func testSplitterCutsOnlyAtDocumentStartsNotAfterDirectives() {
    let text = Array("a: 1\n---\nb: 2\n--- # c\nc: 3\n%YAML 1.1\n---\nd: 4\n----\n---x\n---\ne: 5\n".utf8)
    let cuts = DocumentSplitter.cuts(text, parts: 8)
    for cut in cuts.dropFirst().dropLast() {
      XCTAssertTrue(DocumentSplitter.isDocumentStart(text, at: cut), "cut at \(cut)")
      XCTAssertFalse(DocumentSplitter.followsDirective(text, at: cut))
    }
    XCTAssertEqual(cuts.first, 0)
    XCTAssertEqual(cuts.last, text.count)
    XCTAssertEqual(cuts, cuts.sorted())
    XCTAssertTrue(DocumentSplitter.followsDirective(text, at: text.firstIndex(of: UInt8(ascii: "%"))! + 10))
  }

  let threshold = 64 << 10

  func testParallelRunEqualsWholeRun() throws {
    // A stream well over the threshold, built from varied manifests (CRLF excluded: one file,
    // one line break style).
    let pieces = [
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    kubeharden.io/skip: resource-limits\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          securityContext: {privileged: true}\n",
      "kind: ConfigMap\ndata:\n  x: |\n    ---\n    not a document marker: indented\n",
      "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    runAsUser: 999\n  containers: [{name: a, image: b}]\n",
    ]
    var text = "# leading comment\n"
    var index = 0
    while text.utf8.count < threshold * 4 {
      text += "---\n" + pieces[index % pieces.count]
      index += 1
    }
    let bytes = Array(text.utf8)
    for keep in [true, false] {
      var pipeline = Pipeline(keepFindings: keep)
      pipeline.parallelThreshold = threshold
      let whole = pipeline.processWhole(path: "big.yaml", bytes: bytes)
      let parallel = pipeline.process(path: "big.yaml", bytes: bytes)
      XCTAssertNil(whole.error)
      XCTAssertNil(parallel.error)
      XCTAssertEqual(parallel.fixed, whole.fixed, "fixed bytes")
      XCTAssertEqual(parallel.edits, whole.edits, "edits")
      XCTAssertEqual(parallel.counts, whole.counts, "counts")
      XCTAssertEqual(parallel.findings.count, whole.findings.count)
      XCTAssertEqual(parallel.findings, whole.findings, "findings, locations included")
    }
    XCTAssertGreaterThan(DocumentSplitter.cuts(bytes, parts: 2).count, 2, "the stream must split")
  }

  /// Namespaces in one part of a split stream, their LimitRange or a second Namespace of the
  /// same name in another: the result is the whole file's, documents read in order (one
  /// LimitRange for `twice`, none for `covered`, one for `open`), and a second run adds nothing.
  func testNamespacesAcrossThePartsOfASplitStream() {
    let namespace = { (name: String) in "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(name)\n" }
    var text = "---\n" + namespace("covered") + "---\n" + namespace("twice") + "---\n" + namespace("open")
    while text.utf8.count < threshold * 4 { text += "---\nkind: ConfigMap\ndata: {a: b}\n" }
    text += "---\n" + namespace("twice")
    text += "---\napiVersion: v1\nkind: LimitRange\nmetadata:\n  name: l\n  namespace: covered\n"
    let bytes = Array(text.utf8)
    XCTAssertGreaterThan(DocumentSplitter.cuts(bytes, parts: 4).count, 2, "the stream must split")
    for keep in [true, false] {
      var pipeline = Pipeline(configuration: Configuration(enabledPasses: ["namespace-limit-range"]), keepFindings: keep)
      pipeline.parallelThreshold = threshold
      let report = pipeline.process(path: "big.yaml", bytes: bytes)
      XCTAssertNil(report.error)
      XCTAssertEqual(report.counts.fixableByPass, ["namespace-limit-range": 2])
      let fixed = String(decoding: report.fixed, as: UTF8.self)
      XCTAssertEqual(fixed.components(separatedBy: "kind: LimitRange").count - 1, 3, "the file's own and two new ones")
      for name in ["twice", "open"] { XCTAssertTrue(fixed.contains("  name: default-limits\n  namespace: \(name)\n"), name) }
      XCTAssertEqual(pipeline.process(path: "big.yaml", bytes: report.fixed).fixed, report.fixed, "not idempotent")
    }
  }

  func testAPartThatFailsFallsBackToTheWholeFileError() {
    var text = ""
    while text.utf8.count < threshold * 4 { text += "---\nkind: ConfigMap\ndata: {a: b}\n" }
    text += "---\nkey: [unclosed\n"
    var pipeline = Pipeline()
    pipeline.parallelThreshold = threshold
    let report = pipeline.process(path: "bad.yaml", bytes: Array(text.utf8))
    // libyaml reports the unclosed sequence at the end of the stream: the last (empty) line,
    // numbered in the whole file, not in the part.
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    XCTAssertEqual(report.error?.line, lineCount, report.error?.description ?? "no error")
  }
}
