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

  /// The first document, its planned edits and changes, and its fixed text.
  func planned(_ pipeline: Pipeline = Pipeline(configuration: Configuration(enabledPasses: ["no-privileged"])))
    throws -> (Pipeline, Document, [Edit], [DataChange], [UInt8])
  {
    let document = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(input)).first)
    let editor = MappingEditor(document)
    let pod = try XCTUnwrap(WorkloadLocator().podSpecs(in: editor).first)
    let context = PassContext(configuration: pipeline.configuration, editor: editor, exemptions: Exemptions(pod: pod, editor: editor, lines: Locations(nil)))
    let drafts = NoPrivileged().check(pod, context: context).map { Planner.Input(passID: "no-privileged", severity: .error, draft: $0) }
    let plan = Planner(editor: editor).plan(drafts, lines: Locations(nil), keepFindings: false)
    XCTAssertFalse(plan.edits.isEmpty)
    let fixed = EditSet.applying(try EditSet(plan.edits).sorted(), to: document.source.bytes, in: document.standaloneRange)
    return (pipeline, document, plan.edits, plan.changes, fixed)
  }

  func check(_ text: String) throws -> String? {
    let (pipeline, document, _, changes, _) = try planned()
    return pipeline.verify(document, fixedText: Array(text.utf8), changes: changes, passes: "no-privileged")?.message
  }

  func fixedText() throws -> String { String(decoding: try planned().4, as: UTF8.self) }

  func testTheRealFixPasses() throws {
    let (pipeline, document, edits, changes, fixed) = try planned()
    XCTAssertNil(pipeline.verify(document, edits: edits, changes: changes, passes: ["no-privileged"]))
    XCTAssertNil(try check(String(decoding: fixed, as: UTF8.self)))
    // And the whole pipeline writes it.
    let report = pipeline.process(path: "x.yaml", bytes: Array(input.utf8))
    XCTAssertNil(report.error)
    XCTAssertTrue(report.changed)
  }

  func testRefusesTextThatDoesNotParse() throws {
    let broken = try fixedText().replacingOccurrences(of: "image: nginx", with: "image: [nginx")
    XCTAssertTrue(try check(broken)?.contains("does not parse") == true)
  }

  func testRefusesChangedDataOutsideTheEdits() throws {
    let changed = try fixedText().replacingOccurrences(of: "image: nginx", with: "image: evil")
    XCTAssertTrue(try check(changed)?.contains("does not hold exactly the original data") == true)
  }

  func testRefusesNewKeysInTheWrongPlace() throws {
    let text = try fixedText()
    XCTAssertTrue(text.contains("    securityContext:\n      privileged: false\n"), text)
    // The same block one level up: valid YAML, but on the pod spec instead of the container.
    let misplaced = text.replacingOccurrences(of: "    securityContext:\n      privileged: false\n", with: "  securityContext:\n    privileged: false\n")
    XCTAssertNotNil(try? YAMLParser.parse(SourceBuffer(misplaced)))
    XCTAssertTrue(try check(misplaced)?.contains("does not hold exactly the original data") == true)
  }

  func testRefusalNamesThePasses() throws {
    let changed = try fixedText().replacingOccurrences(of: "image: nginx", with: "image: evil")
    XCTAssertTrue(try check(changed)?.contains("(passes no-privileged)") == true)
  }

  func testRefusesADifferentNumberOfDocuments() throws {
    let extra = try fixedText() + "---\nkind: Extra\n"
    XCTAssertTrue(try check(extra)?.contains("documents instead of") == true)
  }

  func testRefusesATextThatNoLongerEndsWithALineBreak() throws {
    // The next document's `---` would land at the end of a line and stop being a marker.
    let text = try fixedText()
    XCTAssertTrue(text.hasSuffix("\n"))
    XCTAssertTrue(try check(String(text.dropLast()))?.contains("no longer ends with a line break") == true)
  }

  func testRefusesEditsOutsideTheirDocument() throws {
    let (pipeline, document, edits, changes, _) = try planned()
    let outside = edits + [Edit.insert("# x\n", at: document.range.upperBound + 4)]
    XCTAssertTrue(pipeline.verify(document, edits: outside, changes: changes, passes: ["no-privileged"])?.message.contains("outside document 1") == true)
  }

  func testRefusesAWrongNewValue() throws {
    // A "fixed" text where the container still runs privileged: a second run would edit it.
    for wrong in ["privileged: true", "privileged: 'false'"] {
      let unfixed = try fixedText().replacingOccurrences(of: "privileged: false", with: wrong)
      XCTAssertTrue(try check(unfixed)?.contains("does not hold exactly the original data") == true, wrong)
    }
  }
}
