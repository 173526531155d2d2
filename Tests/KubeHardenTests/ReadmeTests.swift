import Foundation
import XCTest
@testable import KubeHarden

/// The README's table of passes is generated from pass metadata (`kubeharden rules --markdown`);
/// this test fails when it goes stale.
final class ReadmeTests: XCTestCase {
  func testReadmeRulesTableIsCurrent() throws {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    guard let start = text.range(of: "<!-- rules-table -->\n"), let end = text.range(of: "<!-- /rules-table -->") else {
      return XCTFail("README.md has no rules-table markers")
    }
    let table = String(text[start.upperBound..<end.lowerBound])
    XCTAssertEqual(table, PassMetadata.markdownTable(PassRegistry.metadata), "update README.md with `kubeharden rules --markdown`")
  }

  func testRulesDocumentIsCurrent() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/rules.md")
    let text = try String(contentsOf: url, encoding: .utf8)
    XCTAssertEqual(text, PassMetadata.rulesDocument(PassRegistry.metadata), "regenerate with `kubeharden rules --docs > docs/rules.md`")
  }
}
