import XCTest
import YAMLSource

@testable import KubeHarden

/// Every pass's metadata examples run as tests: triggering examples produce findings of that
/// pass and fix to the expected bytes; non-triggering ones produce none; fixing twice changes
/// nothing. Each is re-run with CRLF line breaks, with a final newline, and after a multi-byte
/// comment prefix.
final class PassExampleTests: XCTestCase {
  func pipeline(only id: String, unsafeFixes: Bool = false) -> Pipeline {
    var configuration = Configuration(enabledPasses: [id])
    configuration.unsafeFixes = unsafeFixes
    // A pass that the restricted profile replaces runs under baseline only.
    if let podSecurity = PassRegistry.podSecurity[id], !podSecurity.runs(under: .restricted) { configuration.profile = .baseline }
    return Pipeline(configuration: configuration)
  }

  enum Variant: CaseIterable {
    case asWritten, finalNewline, crlf, multibytePrefix

    func apply(_ text: String) -> String {
      switch self {
      case .asWritten: return text
      case .finalNewline: return text + "\n"
      case .crlf: return text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n") + "\r\n"
      case .multibytePrefix: return "# ünïcødé ✓ 😀 prefix\n" + text + "\n"
      }
    }
  }

  func testTriggeringExamplesFixToExpectedBytes() throws {
    var checked = 0
    for pass in PassRegistry.all {
      let meta = pass.metadata
      XCTAssertFalse(meta.triggering.isEmpty, "\(meta.id) needs triggering examples")
      for (index, example) in meta.triggering.enumerated() {
        guard let expected = example.output else { XCTFail("\(meta.id) example \(index) has no fixed text"); continue }
        let unsafe = example.applicability == .unsafe
        for variant in Variant.allCases {
          let input = variant.apply(example.input)
          let label = "\(meta.id) example \(index) \(variant)"
          if unsafe {
            // By default an unsafe fix is reported with its edits and nothing is written.
            let shown = pipeline(only: meta.id).process(path: "example.yaml", bytes: Array(input.utf8))
            XCTAssertFalse(shown.changed, "\(label): an unsafe fix was applied without --unsafe-fixes")
            XCTAssertTrue(
              shown.findings.contains { $0.passID == meta.id && $0.fix?.applicability == .unsafe && !($0.fix?.edits.isEmpty ?? true) },
              "\(label): no unsafe fix reported")
          }
          let report = pipeline(only: meta.id, unsafeFixes: unsafe).process(path: "example.yaml", bytes: Array(input.utf8))
          XCTAssertNil(report.error, label)
          XCTAssertTrue(report.findings.contains { $0.passID == meta.id }, "\(label): no finding")
          XCTAssertEqual(String(decoding: report.fixed, as: UTF8.self), variant.apply(expected), label)
          let again = pipeline(only: meta.id, unsafeFixes: unsafe).process(path: "example.yaml", bytes: report.fixed)
          XCTAssertEqual(again.fixed, report.fixed, "\(label): not idempotent")
          // What is left is for a person (or for --unsafe-fixes, where it was not given).
          XCTAssertTrue(
            again.findings.allSatisfy { !$0.status.isFixable || (!unsafe && $0.fix?.applicability == .unsafe) },
            "\(label): fixable findings remain")
          checked += 1
        }
      }
    }
    XCTAssertGreaterThan(checked, 20)
  }

  func testNonTriggeringExamplesHaveNoFindings() {
    for pass in PassRegistry.all {
      let meta = pass.metadata
      XCTAssertFalse(meta.nonTriggering.isEmpty, "\(meta.id) needs non-triggering examples")
      for (index, example) in meta.nonTriggering.enumerated() {
        for variant in Variant.allCases {
          let report = pipeline(only: meta.id).process(path: "example.yaml", bytes: Array(variant.apply(example.input).utf8))
          XCTAssertNil(report.error)
          XCTAssertEqual(
            report.findings.filter { $0.passID == meta.id }.map(\.message), [], "\(meta.id) non-triggering \(index) \(variant)")
          XCTAssertFalse(report.changed)
        }
      }
    }
  }

  func testExemptionAnnotationSkipsThePass() {
    for pass in PassRegistry.all {
      let meta = pass.metadata
      guard let example = meta.triggering.first else { continue }
      // Put the annotation in the object's metadata.
      var input = example.input
      if input.contains("metadata:\n  name:") {
        input = input.replacingOccurrences(
          of: "metadata:\n", with: "metadata:\n  annotations:\n    kubeharden.io/skip: \"\(meta.id)\"\n")
      } else {
        input = input.replacingOccurrences(
          of: "\nspec:", with: "\nmetadata:\n  annotations:\n    kubeharden.io/skip: \"other, \(meta.id)\"\nspec:")
      }
      let report = pipeline(only: meta.id).process(path: "x.yaml", bytes: Array(input.utf8))
      XCTAssertFalse(report.changed, "\(meta.id): exempted workload was changed:\n\(String(decoding: report.fixed, as: UTF8.self))")
      XCTAssertTrue(report.findings.contains { if case .exempted = $0.status { return true } else { return false } }, meta.id)
    }
  }

  func testRegistryIdsAreUniqueKebabCaseAndDocumented() {
    let ids = PassRegistry.ids
    XCTAssertEqual(Set(ids).count, ids.count)
    for meta in PassRegistry.metadata {
      XCTAssertNotNil(meta.id.range(of: "^[a-z]+(-[a-z]+)*$", options: .regularExpression), meta.id)
      XCTAssertFalse(meta.rationale.isEmpty)
      XCTAssertFalse(meta.fixDescription.isEmpty)
      XCTAssertFalse(meta.applicability.isEmpty, "\(meta.id): no applicability rules for explain")
      XCTAssertTrue(meta.references.contains(.owasp("K01")), meta.id)
      // A scanner check, a Pod Security control or the Kubernetes documentation (for what no
      // scanner checks): every pass cites what it implements.
      XCTAssertTrue(
        meta.references.contains {
          switch $0 {
          case .checkov, .pss, .kubernetes: return true
          default: return false
          }
        }, meta.id)
      // A pass that implements Pod Security checks cites the control and names the PSA check ids.
      if let podSecurity = meta.podSecurity {
        XCTAssertFalse(podSecurity.checks.isEmpty, meta.id)
        XCTAssertTrue(meta.references.contains { if case .pss = $0 { return true } else { return false } }, meta.id)
      }
    }
  }
}
