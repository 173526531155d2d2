import Foundation
import XCTest
@testable import YAMLSource

/// The identity guarantee over every shared corpus file: parse + render with no edits gives the
/// input bytes; every scalar's byte range slices to its own source text; each document's own
/// text, parsed alone, holds that document's data; libyaml's rejections become located errors.
final class CorpusIdentityTests: XCTestCase {
  struct Tally {
    var accepted = 0
    var rejected = 0
    var scalars = 0
  }

  func checkIdentity(_ url: URL, tally: inout Tally) throws -> Bool {
    let bytes = try Shared.bytes(url)
    let source = SourceBuffer(bytes)
    let documents: [Document]
    do {
      documents = try YAMLParser.parse(source)
    } catch {
      tally.rejected += 1
      XCTAssertGreaterThanOrEqual(error.line, 1, url.path)
      XCTAssertGreaterThanOrEqual(error.column, 1, url.path)
      XCTAssertFalse(error.message.isEmpty, url.path)
      return false
    }
    tally.accepted += 1
    XCTAssertEqual(try EditSet().apply(to: bytes), bytes, "identity render differs: \(url.path)")
    // Each document's own text, parsed alone, holds exactly that document's data (what the
    // check before writing relies on: documents are checked one by one).
    for doc in documents {
      let own = SourceBuffer(Array(bytes[doc.standaloneRange]))
      XCTAssertNil(doc.mismatch(in: own), "document \(doc.index) alone differs: \(url.path)")
    }
    var previousEnd = 0
    for doc in documents {
      XCTAssertLessThanOrEqual(previousEnd, doc.range.lowerBound + 1, url.path)
      previousEnd = doc.range.upperBound
      for node in doc.allNodes {
        let range = doc.range(node)
        XCTAssertLessThanOrEqual(range.lowerBound, range.upperBound, url.path)
        XCTAssertLessThanOrEqual(range.upperBound, bytes.count, url.path)
        guard doc.isScalar(node), !doc.hasAnchor(node), !doc.hasTag(node) else { continue }
        tally.scalars += 1
        let slice = Array(bytes[range])
        switch doc.style(node) {
        case .plain:
          if !slice.contains(UInt8(ascii: "\n")) && !slice.contains(UInt8(ascii: "\r")) {
            XCTAssertEqual(slice, Array(doc.valueBytes(node)), "plain scalar slice in \(url.path) at \(range)")
          }
        case .singleQuoted:
          XCTAssertEqual(slice.first, UInt8(ascii: "'"), "\(url.path) \(range)")
          XCTAssertEqual(slice.last, UInt8(ascii: "'"), "\(url.path) \(range)")
        case .doubleQuoted:
          XCTAssertEqual(slice.first, UInt8(ascii: "\""), "\(url.path) \(range)")
          XCTAssertEqual(slice.last, UInt8(ascii: "\""), "\(url.path) \(range)")
        case .literal:
          XCTAssertEqual(slice.first, UInt8(ascii: "|"), "\(url.path) \(range)")
        case .folded:
          XCTAssertEqual(slice.first, UInt8(ascii: ">"), "\(url.path) \(range)")
        default:
          XCTFail("scalar with collection style")
        }
      }
    }
    return true
  }

  func testDevCorpusIdentity() throws {
    let root = try Shared.require().appendingPathComponent("corpus/dev")
    let files = Shared.files(under: root, extensions: ["yaml", "yml", "json"])
    XCTAssertGreaterThanOrEqual(files.count, 265)
    var tally = Tally()
    for url in files { _ = try checkIdentity(url, tally: &tally) }
    print("identity dev corpus: \(files.count) files, \(tally.accepted) accepted, \(tally.rejected) rejected by libyaml, \(tally.scalars) scalars sliced")
    XCTAssertLessThanOrEqual(tally.rejected, 5)
  }

  func testYAMLTestSuiteIdentityAndVerdicts() throws {
    let root = try Shared.require().appendingPathComponent("corpus/yaml-test-suite")
    let tsv = try String(contentsOf: root.appendingPathComponent("libyaml-0.2.5.tsv"), encoding: .utf8)
    var tally = Tally()
    var cases = 0
    var mismatches: [String] = []
    for line in tsv.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: "\t").map(String.init)
      guard fields.count == 3 else { continue }
      cases += 1
      let accepted = try checkIdentity(root.appendingPathComponent(fields[0]), tally: &tally)
      let libyamlAccepts = fields[2].hasPrefix("accepts")
      if accepted != libyamlAccepts { mismatches.append("\(fields[0]): expected \(fields[2])") }
    }
    print("identity yaml-test-suite: \(cases) cases, \(tally.accepted) accepted, \(tally.rejected) rejected, \(tally.scalars) scalars sliced")
    XCTAssertEqual(cases, 402)
    XCTAssertEqual(mismatches, [], "our verdicts must match libyaml 0.2.5's")
  }
}
