import Foundation
import XCTest
@testable import KubeHarden
import YAMLSource

/// Every input the fuzzer ever found (`Fixtures/fuzz-regressions/*.yaml`) keeps the fuzzer's
/// properties: no crash, identity render, and when `fix` changes it, the output parses and a
/// second run changes nothing.
final class FuzzRegressionTests: XCTestCase {
  func testFuzzRegressionsKeepTheProperties() throws {
    let folder = FixtureTests.root.appendingPathComponent("fuzz-regressions")
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    for name in files {
      let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
      XCTAssertEqual(try EditSet().apply(to: bytes), bytes, name)
      let report = Pipeline().process(path: name, bytes: bytes)
      guard report.error == nil, report.changed else { continue }
      XCTAssertNoThrow(try YAMLParser.parse(SourceBuffer(report.fixed)), name)
      XCTAssertEqual(Pipeline().process(path: name, bytes: report.fixed).fixed, report.fixed, "\(name): not idempotent")
    }
    print("fuzz regressions checked: \(files.count)")
  }
}
