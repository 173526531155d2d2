import XCTest
@testable import KubeHarden
import YAMLSource

/// The check that runs before anything is written must refuse fixed texts that do not parse,
/// change the number of documents, or whose data is not exactly the original data with the
/// planned changes: a change anywhere else, a new key in the wrong place, a wrong new value.
final class VerificationTests: XCTestCase {
  let input = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      containers:
      - name: web
        image: nginx
    ---
    kind: ConfigMap

    """

  func analysis() throws -> (Pipeline, Pipeline.Analysis, [UInt8]) {
    let pipeline = Pipeline(configuration: Configuration(enabledPasses: ["no-privileged"]))
    let analysis = try pipeline.analyze(SourceBuffer(input))
    let fixed = try EditSet(analysis.edits).apply(to: Array(input.utf8))
    return (pipeline, analysis, fixed)
  }

  func testTheRealFixPasses() throws {
    let (pipeline, analysis, fixed) = try analysis()
    XCTAssertFalse(analysis.edits.isEmpty)
    XCTAssertNil(pipeline.verify(analysis, fixed: fixed))
  }

  func testRefusesTextThatDoesNotParse() throws {
    let (pipeline, analysis, fixed) = try analysis()
    let broken = Array(String(decoding: fixed, as: UTF8.self).replacingOccurrences(of: "image: nginx", with: "image: [nginx").utf8)
    XCTAssertTrue(pipeline.verify(analysis, fixed: broken)?.message.contains("does not parse") == true)
  }

  func testRefusesChangedDataOutsideTheEdits() throws {
    let (pipeline, analysis, fixed) = try analysis()
    let changed = Array(String(decoding: fixed, as: UTF8.self).replacingOccurrences(of: "image: nginx", with: "image: evil").utf8)
    XCTAssertTrue(pipeline.verify(analysis, fixed: changed)?.message.contains("does not hold exactly the original data") == true)
  }

  func testRefusesNewKeysInTheWrongPlace() throws {
    let (pipeline, analysis, fixed) = try analysis()
    let text = String(decoding: fixed, as: UTF8.self)
    XCTAssertTrue(text.contains("    securityContext:\n      privileged: false\n"), text)
    // The same block one level up: valid YAML, but on the pod spec instead of the container.
    let misplaced = Array(
      text.replacingOccurrences(of: "    securityContext:\n      privileged: false\n", with: "  securityContext:\n    privileged: false\n").utf8)
    XCTAssertNotNil(try? YAMLParser.parse(SourceBuffer(misplaced)))
    XCTAssertTrue(pipeline.verify(analysis, fixed: misplaced)?.message.contains("does not hold exactly the original data") == true)
  }

  func testRefusalNamesThePassesAlsoWhenOnlyCountsAreKept() throws {
    let pipeline = Pipeline(configuration: Configuration(enabledPasses: ["no-privileged"]), keepFindings: false)
    let analysis = try pipeline.analyze(SourceBuffer(input))
    XCTAssertTrue(analysis.findings.isEmpty)
    let fixed = try EditSet(analysis.edits).apply(to: Array(input.utf8))
    let changed = Array(String(decoding: fixed, as: UTF8.self).replacingOccurrences(of: "image: nginx", with: "image: evil").utf8)
    XCTAssertTrue(pipeline.verify(analysis, fixed: changed)?.message.contains("(passes no-privileged)") == true)
  }

  func testRefusesADifferentNumberOfDocuments() throws {
    let (pipeline, analysis, fixed) = try analysis()
    let extra = fixed + Array("---\nkind: Extra\n".utf8)
    XCTAssertTrue(pipeline.verify(analysis, fixed: extra)?.message.contains("documents instead of") == true)
  }

  func testRefusesAWrongNewValue() throws {
    let (pipeline, analysis, fixed) = try analysis()
    // A "fixed" text where the container still runs privileged: a second run would edit it.
    for wrong in ["privileged: true", "privileged: 'false'"] {
      let unfixed = Array(String(decoding: fixed, as: UTF8.self).replacingOccurrences(of: "privileged: false", with: wrong).utf8)
      XCTAssertTrue(pipeline.verify(analysis, fixed: unfixed)?.message.contains("does not hold exactly the original data") == true, wrong)
    }
  }
}
