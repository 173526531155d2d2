import Foundation
import XCTest
@testable import YAMLSource

/// For every block mapping with only plain scalar keys in the shared corpora, inserting
/// `zz-test-key: "v"` through the layer gives a stream that re-parses to the original data plus
/// exactly that key, and keeps every original byte in order.
final class InsertionPropertyTests: XCTestCase {
  struct Tally {
    var inserted = 0
    var refused = 0
    var wrong: [String] = []
  }

  func candidates(_ doc: Document) -> [NodeID] {
    doc.allNodes.filter { node in
      guard doc.isMapping(node), doc.isBlock(node) else { return false }
      return doc.entries(node).allSatisfy { doc.isPlainUntagged($0.key) && !doc.range($0.key).isEmpty }
    }
  }

  func check(_ url: URL, sampleLimit: Int, tally: inout Tally) throws {
    let bytes = try Shared.bytes(url)
    guard let documents = try? YAMLParser.parse(SourceBuffer(bytes)) else { return }
    var all: [(Document, NodeID)] = documents.flatMap { doc in candidates(doc).map { (doc, $0) } }
    if all.count > sampleLimit {
      let stride = Double(all.count) / Double(sampleLimit)
      all = (0..<sampleLimit).map { all[Int(Double($0) * stride)] }
    }
    let dumps = documents.map { DataDump.dump($0) }
    do {
      for (doc, node) in all {
        let editor = MappingEditor(doc)
        let edits: [Edit]
        do {
          edits = try editor.insert([NewEntry("zz-test-key", .string("v"))], into: node)
        } catch {
          tally.refused += 1
          continue
        }
        let where_ = "\(url.lastPathComponent) doc \(doc.index) mapping at byte \(doc.range(node).lowerBound)"
        XCTAssertTrue(edits.allSatisfy { $0.range.isEmpty }, "insertion must not delete: \(where_)")
        let output = try EditSet(edits).apply(to: bytes)
        guard let reparsed = try? YAMLParser.parse(SourceBuffer(output)), reparsed.count == documents.count else {
          tally.wrong.append("does not re-parse: \(where_)\n" + String(decoding: output, as: UTF8.self))
          continue
        }
        // The edited document, alone, holds the original data with exactly the change made.
        let edited = EditSet.applying(try EditSet(edits).sorted(), to: bytes, in: doc.standaloneRange)
        if let mismatch = doc.mismatch(
          in: SourceBuffer(edited), applying: [.appendEntries([NewEntry("zz-test-key", .string("v"))], to: node)])
        {
          tally.wrong.append("the edited document \(mismatch): \(where_)")
        }
        for (old, new) in zip(documents, reparsed) {
          let expected = old.index == doc.index ? DataDump.dump(old, extra: (node, "p:zz-test-key=p:v,")) : dumps[old.index]
          if DataDump.dump(new) != expected {
            tally.wrong.append("data differs: \(where_)\n" + String(decoding: output, as: UTF8.self))
          }
        }
        tally.inserted += 1
      }
    }
  }

  func testInsertionIntoEveryBlockMappingOfTheTestSuite() throws {
    let root = try Shared.require().appendingPathComponent("corpus/yaml-test-suite/valid")
    var tally = Tally()
    for url in Shared.files(under: root, extensions: ["yaml"]) {
      try check(url, sampleLimit: .max, tally: &tally)
    }
    print("insertion property, yaml-test-suite: \(tally.inserted) inserted, \(tally.refused) refused, \(tally.wrong.count) wrong")
    XCTAssertEqual(tally.wrong.count, 0, tally.wrong.prefix(3).joined(separator: "\n----\n"))
    XCTAssertGreaterThan(tally.inserted, 100)
  }

  func testInsertionIntoBlockMappingsOfTheDevCorpus() throws {
    let root = try Shared.require().appendingPathComponent("corpus/dev")
    var tally = Tally()
    for url in Shared.files(under: root, extensions: ["yaml", "yml", "json"]) {
      try check(url, sampleLimit: 40, tally: &tally)
    }
    print("insertion property, dev corpus: \(tally.inserted) inserted, \(tally.refused) refused, \(tally.wrong.count) wrong")
    XCTAssertEqual(tally.wrong.count, 0, tally.wrong.prefix(3).joined(separator: "\n----\n"))
    XCTAssertGreaterThan(tally.inserted, 1000)
  }
}
