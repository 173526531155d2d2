import XCTest
@testable import YAMLSource

/// Rendered scalars read back as the intended type: strings that YAML 1.1, 1.2 core or go-yaml v2
/// would read as something else are quoted; the rest stay plain. Each is checked by re-parsing.
final class ScalarRenderingTests: XCTestCase {
  func roundTrip(_ value: String, flow: Bool) throws -> (String, NodeStyle) {
    let rendered = ScalarRendering.render(.string(value), flow: flow, json: false)
    let text = flow ? "k: [\(rendered)]\n" : "k: \(rendered)\n"
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(text)).first)
    let editor = MappingEditor(doc)
    var node = try XCTUnwrap(editor.lookup(try XCTUnwrap(doc.root), "k")).value
    if flow { node = doc.items(node)[0] }
    XCTAssertEqual(doc.string(node), value, "\(value) rendered as \(rendered) reads back differently")
    return (rendered, doc.style(node))
  }

  func testValuesThatMustBeQuoted() throws {
    let dangerous = [
      "true", "False", "yes", "on", "OFF", "y", "N", "no", "null", "~", "", "1", "0.5", "1e3", "0755", "0x1F", "+1", ".5",
      "0o755", "1_000", "1:20", "2024-01-01", "<<", "=", "- x", "a: b", "a #b", "#x", "@x", "`x", "*x", "&x", "!x", "%x",
      "|x", ">x", "? x", "[x]", "{x}", "'x'", "\"x\"", " lead", "trail ", ".inf", "-.inf", ".nan", "1.", "line\nbreak",
    ]
    for value in dangerous {
      let (rendered, style) = try roundTrip(value, flow: false)
      XCTAssertNotEqual(style, .plain, "\(value) must be quoted, got \(rendered)")
    }
  }

  func testValuesThatStayPlain() throws {
    for value in ["512Mi", "500m", "1.5Gi", "ALL", "RuntimeDefault", "nginx:1.27", "a:b", "web-1", "2Ti", "64Ki", "1E"] {
      let (rendered, _) = try roundTrip(value, flow: false)
      XCTAssertEqual(rendered, value, "\(value) should stay plain")
    }
  }

  func testFlowContextQuotesIndicators() throws {
    for value in ["a:b", "x,y", "a]b", "{"] {
      let (_, style) = try roundTrip(value, flow: true)
      XCTAssertNotEqual(style, .plain, value)
    }
  }

  func testBooleansAndIntegersArePlain() {
    XCTAssertEqual(ScalarRendering.render(.bool(true), flow: false, json: false), "true")
    XCTAssertEqual(ScalarRendering.render(.int(10001), flow: true, json: true), "10001")
    XCTAssertEqual(ScalarRendering.render(.string("x"), flow: true, json: true), "\"x\"")
    XCTAssertEqual(ScalarRendering.render(.mapping([NewEntry("a", .string("b"))]), flow: true, json: true), "{\"a\": \"b\"}")
  }
}
