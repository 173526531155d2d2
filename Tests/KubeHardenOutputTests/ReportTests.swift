import Foundation
import KubeHarden
import KubeHardenOutput
import XCTest
import YAMLSource

/// Tests of the report renderers, on FileReports built by hand with hand-written edits.
final class ReportTests: XCTestCase {
  // MARK: Fixtures

  let tool = ReportTool(version: "1.2.3", informationURI: "https://example.org/kubeharden")

  let rules: [PassMetadata] = [
    PassMetadata(
      id: "no-privileged", title: "Containers are not privileged", severity: .error,
      rationale: "A privileged container has every capability of the host.", fixDescription: "Sets `privileged: false`.", applicability: "Safe.",
      references: [.owasp("K01"), .pss("Privileged Containers", profile: "Baseline"), .cis("5.2.1"), .checkov("CKV_K8S_16")],
      triggering: [], nonTriggering: []),
    PassMetadata(
      id: "no-privilege-escalation", title: "Containers cannot gain privileges", rationale: "setuid binaries can escalate.",
      fixDescription: "Sets `allowPrivilegeEscalation: false`.", applicability: "Safe.", references: [.checkov("CKV_K8S_20")], triggering: [],
      nonTriggering: []),
    PassMetadata(
      id: "read-only-root-filesystem", title: "Root filesystems are read-only", rationale: "Attackers cannot write tools.",
      fixDescription: "Sets `readOnlyRootFilesystem: true`.", applicability: "Safe.", references: [], triggering: [], nonTriggering: []),
    PassMetadata(
      id: "run-as-non-root", title: "Containers run as non-root", rationale: "Root in a container is root on a kernel bug.",
      fixDescription: "Sets `runAsNonRoot: true`.", applicability: "Safe.", references: [.pss("Running as Non-root", profile: "Restricted")],
      triggering: [], nonTriggering: []),
  ]

  /// Byte offset of the `occurrence`-th `needle` in `text`.
  func offset(of needle: String, in text: String, occurrence: Int = 0) -> Int {
    let bytes = Array(text.utf8)
    let pattern = Array(needle.utf8)
    var seen = 0
    for start in 0...(bytes.count - pattern.count) where Array(bytes[start..<(start + pattern.count)]) == pattern {
      if seen == occurrence { return start }
      seen += 1
    }
    XCTFail("\(needle) not found")
    return 0
  }

  func range(of needle: String, in text: String, occurrence: Int = 0) -> Range<Int> {
    let start = offset(of: needle, in: text, occurrence: occurrence)
    return start..<(start + needle.utf8.count)
  }

  func finding(
    _ passID: String, _ message: String, severity: Severity = .warning, in text: String, range: Range<Int>,
    status: FindingStatus = .fixable, fix: Fix? = nil
  ) -> Finding {
    let table = LineTable(SourceBuffer(text))
    return Finding(
      passID: passID, severity: severity, message: message, range: range, start: table.location(of: range.lowerBound),
      end: table.location(of: range.upperBound), status: status, fix: fix)
  }

  func report(_ path: String, _ text: String, edits: [Edit], findings: [Finding]) throws -> FileReport {
    let original = Array(text.utf8)
    return FileReport(
      path: path, original: original, edits: edits, fixed: try EditSet(edits).apply(to: original), findings: findings)
  }

  static let podHead = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n"

  /// `privileged: true` replaced by `false`.
  func replaceReport(path: String = "deploy/web.yaml", lineBreak: String = "\n") throws -> FileReport {
    let text = (Self.podHead + "    securityContext:\n      privileged: true\n").replacingOccurrences(of: "\n", with: lineBreak)
    let value = range(of: "true", in: text)
    let edit = Edit.replace(value, with: "false")
    return try report(
      path, text, edits: [edit],
      findings: [
        finding("no-privileged", "container 'web' runs privileged", severity: .error, in: text, range: value,
          fix: Fix(title: "Set privileged: false", edits: [edit]))
      ])
  }

  /// One insertion at a line start that fixes two findings, plus an exempted finding.
  func sharedInsertionReport() throws -> FileReport {
    let text = Self.podHead + "  - name: side\n    image: busybox\n"
    let at = offset(of: "  - name: side", in: text)
    let edit = Edit.insert("    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n", at: at)
    let container = range(of: "name: web", in: text, occurrence: 1)
    return try report(
      "deploy/shared.yaml", text, edits: [edit],
      findings: [
        finding(
          "no-privilege-escalation", "container 'web' may gain privileges", in: text, range: container,
          fix: Fix(title: "Set allowPrivilegeEscalation: false", edits: [edit])),
        finding(
          "read-only-root-filesystem", "container 'web' has a writable root filesystem", in: text, range: container,
          fix: Fix(title: "Set readOnlyRootFilesystem: true", edits: [edit])),
        finding(
          "run-as-non-root", "container 'side' may run as root", in: text, range: range(of: "name: side", in: text),
          status: .exempted(reason: "annotation kubeharden.io/skip-run-as-non-root", location: LineTable(SourceBuffer(text)).location(of: 30))),
      ])
  }

  /// An insertion at offset 0 (line 1).
  func lineOneReport() throws -> FileReport {
    let text = "kind: Pod\nmetadata:\n  name: x\n"
    let edit = Edit.insert("apiVersion: v1\n", at: 0)
    return try report(
      "line-one.yaml", text, edits: [edit],
      findings: [
        finding("no-privileged", "manifest has no apiVersion", severity: .error, in: text, range: 0..<9,
          fix: Fix(title: "Add apiVersion", edits: [edit]))
      ])
  }

  /// An insertion at the end of a file without a final line break.
  func eofWithoutNewlineReport() throws -> FileReport {
    let text = Self.podHead + "    securityContext:\n      runAsUser: 1000"
    let edit = Edit.insert("\n      privileged: false", at: text.utf8.count)
    return try report(
      "eof.yaml", text, edits: [edit],
      findings: [
        finding("no-privileged", "container 'web' may run privileged", severity: .error, in: text, range: range(of: "securityContext", in: text),
          fix: Fix(title: "Set privileged: false", edits: [edit]))
      ])
  }

  /// An insertion at the end of a file that ends with a line break.
  func eofWithNewlineReport() throws -> FileReport {
    let text = Self.podHead
    let edit = Edit.insert("    securityContext:\n      privileged: false\n", at: text.utf8.count)
    return try report(
      "eof-newline.yaml", text, edits: [edit],
      findings: [
        finding("no-privileged", "container 'web' may run privileged", severity: .error, in: text, range: range(of: "name: web", in: text, occurrence: 1),
          fix: Fix(title: "Set privileged: false", edits: [edit]))
      ])
  }

  /// Two edits on adjacent lines, one finding each.
  func adjacentReport() throws -> FileReport {
    let text = Self.podHead + "    securityContext:\n      privileged: true\n      allowPrivilegeEscalation: true\n"
    let first = range(of: "true", in: text)
    let second = range(of: "true", in: text, occurrence: 1)
    let a = Edit.replace(first, with: "false")
    let b = Edit.replace(second, with: "false")
    return try report(
      "adjacent.yaml", text, edits: [a, b],
      findings: [
        finding("no-privileged", "container 'web' runs privileged", severity: .error, in: text, range: first, fix: Fix(title: "Set privileged: false", edits: [a])),
        finding(
          "no-privilege-escalation", "container 'web' may gain privileges", in: text, range: second,
          fix: Fix(title: "Set allowPrivilegeEscalation: false", edits: [b])),
      ])
  }

  /// A line with a multi-byte character before the edited value.
  func multibyteReport() throws -> FileReport {
    let text = "spec:\n  containers:\n  - {name: café, securityContext: {privileged: true}}\n"
    let value = range(of: "true", in: text)
    let edit = Edit.replace(value, with: "false")
    return try report(
      "multibyte.yaml", text, edits: [edit],
      findings: [
        finding("no-privileged", "container 'café' runs privileged", severity: .error, in: text, range: value, fix: Fix(title: "Set privileged: false", edits: [edit]))
      ])
  }

  func unfixableReport() throws -> FileReport {
    let text = "spec:\n  containers:\n  - name: web\n    securityContext: *shared\n"
    return try report(
      "dir with space/unfixable.yaml", text, edits: [],
      findings: [
        finding("no-privileged", "container 'web' may run privileged", severity: .error, in: text, range: range(of: "*shared", in: text),
          status: .unfixable(reason: "securityContext is an alias"))
      ])
  }

  func errorReport() -> FileReport {
    FileReport(path: "broken.yaml", original: Array("a: [\n".utf8), error: FileError(line: 2, column: 1, message: "unexpected end of flow sequence"))
  }

  /// A file whose insertion contains a code fence.
  func fenceReport() throws -> FileReport {
    let text = "metadata:\n  name: web\n"
    let edit = Edit.insert("  annotations:\n    note: \"```yaml\"\n", at: text.utf8.count)
    return try report(
      "fence.yaml", text, edits: [edit],
      findings: [
        finding("run-as-non-root", "fence", in: text, range: 0..<8, fix: Fix(title: "Annotate", edits: [edit]))
      ])
  }

  func allReports() throws -> [FileReport] {
    [
      try replaceReport(), try sharedInsertionReport(), try lineOneReport(), try eofWithoutNewlineReport(),
      try eofWithNewlineReport(), try adjacentReport(), try multibyteReport(), try unfixableReport(), errorReport(),
      try fenceReport(), try replaceReport(path: "crlf.yaml", lineBreak: "\r\n"),
    ]
  }

  // MARK: Helpers

  func parse(_ json: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
    return try XCTUnwrap(object as? [String: Any])
  }

  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Runs Scripts/validate-reports.py on `document`; skips when python3, jsonschema or the
  /// schemas are missing.
  func validate(_ kind: String, _ document: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-report-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("report.\(kind).json")
    try Data(document.utf8).write(to: path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", Self.repositoryRoot.appendingPathComponent("Scripts/validate-reports.py").path, kind, path.path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    do { try process.run() } catch { throw XCTSkip("cannot run python3 (\(error)); \(kind) schema validation skipped") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    switch process.terminationStatus {
    case 0: return
    case 77, 127: throw XCTSkip("\(kind) schema validation skipped: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
    default: XCTFail("\(kind) report does not validate: \(text)\n\(document)", file: file, line: line)
    }
  }

  func dig(_ object: Any?, _ keys: Any...) -> Any? {
    var current = object
    for key in keys {
      if let key = key as? String { current = (current as? [String: Any])?[key] }
      if let index = key as? Int {
        guard let array = current as? [Any], array.indices.contains(index) else { return nil }
        current = array[index]
      }
    }
    return current
  }

  // MARK: JSON

  func testJSONHasAllFields() throws {
    let reports = try allReports()
    let text = JSONReport.render(reports, rules: rules, tool: tool)
    XCTAssertEqual(text, JSONReport.render(reports, rules: rules, tool: tool))
    let json = try parse(text)
    XCTAssertEqual(json["tool"] as? String, "kubeharden")
    XCTAssertEqual(json["version"] as? String, "1.2.3")
    XCTAssertEqual(dig(json, "summary", "findings") as? Int, 13)
    XCTAssertEqual(dig(json, "summary", "errors") as? Int, 1)
    let files = try XCTUnwrap(json["files"] as? [[String: Any]])
    XCTAssertEqual(files.map { $0["path"] as? String }, reports.map(\.path))

    let first = files[0]
    XCTAssertEqual(first["changed"] as? Bool, true)
    XCTAssertTrue(first["error"] is NSNull)
    let finding = try XCTUnwrap((first["findings"] as? [[String: Any]])?.first)
    XCTAssertEqual(finding["passId"] as? String, "no-privileged")
    XCTAssertEqual(finding["severity"] as? String, "error")
    XCTAssertEqual(finding["message"] as? String, "container 'web' runs privileged")
    XCTAssertEqual(finding["path"] as? String, "deploy/web.yaml")
    XCTAssertEqual(finding["fixable"] as? Bool, true)
    XCTAssertEqual(dig(finding, "start", "line") as? Int, 10)
    XCTAssertEqual(dig(finding, "start", "column") as? Int, 19)
    XCTAssertEqual(dig(finding, "end", "column") as? Int, 23)
    XCTAssertEqual(dig(finding, "status", "kind") as? String, "fixable")
    XCTAssertTrue(dig(finding, "status", "reason") is NSNull)
    XCTAssertEqual(dig(finding, "fix", "title") as? String, "Set privileged: false")
    let edit = try XCTUnwrap(dig(finding, "fix", "edits", 0) as? [String: Any])
    XCTAssertEqual(edit["byteOffset"] as? Int, reports[0].edits[0].range.lowerBound)
    XCTAssertEqual(edit["byteLength"] as? Int, 4)
    XCTAssertEqual(edit["replacement"] as? String, "false")
    XCTAssertEqual(dig(edit, "start", "line") as? Int, 10)
    XCTAssertEqual(dig(edit, "start", "column") as? Int, 19)
    XCTAssertEqual(dig(edit, "end", "column") as? Int, 23)

    let exempted = try XCTUnwrap(dig(files[1], "findings", 2) as? [String: Any])
    XCTAssertEqual(exempted["fixable"] as? Bool, false)
    XCTAssertEqual(dig(exempted, "status", "kind") as? String, "exempted")
    XCTAssertEqual(dig(exempted, "status", "reason") as? String, "annotation kubeharden.io/skip-run-as-non-root")
    XCTAssertTrue(exempted["fix"] is NSNull)

    let broken = files[8]
    XCTAssertEqual(broken["changed"] as? Bool, false)
    XCTAssertEqual(dig(broken, "error", "line") as? Int, 2)
    XCTAssertEqual(dig(broken, "error", "column") as? Int, 1)
    XCTAssertEqual(dig(broken, "error", "message") as? String, "unexpected end of flow sequence")
  }

  // MARK: SARIF

  func testSARIFValidatesAgainstSchema() throws {
    try validate("sarif", SARIFReport.render(try allReports(), rules: rules, tool: tool))
    try validate("sarif", SARIFReport.render([], rules: [], tool: tool))
  }

  func testSARIFStructure() throws {
    let reports = try allReports()
    let sarif = try parse(SARIFReport.render(reports, rules: rules, tool: tool))
    XCTAssertEqual(sarif["version"] as? String, "2.1.0")
    XCTAssertEqual(sarif["$schema"] as? String, SARIFReport.schemaURI)
    let run = try XCTUnwrap(dig(sarif, "runs", 0) as? [String: Any])
    XCTAssertEqual(run["columnKind"] as? String, "unicodeCodePoints")
    XCTAssertEqual(dig(run, "tool", "driver", "name") as? String, "kubeharden")
    XCTAssertEqual(dig(run, "tool", "driver", "version") as? String, "1.2.3")
    XCTAssertEqual(dig(run, "invocations", 0, "executionSuccessful") as? Bool, false)
    let rule = try XCTUnwrap(dig(run, "tool", "driver", "rules", 0) as? [String: Any])
    XCTAssertEqual(rule["id"] as? String, "no-privileged")
    XCTAssertEqual(rule["name"] as? String, "NoPrivileged")
    XCTAssertEqual(dig(rule, "shortDescription", "text") as? String, "Containers are not privileged")
    XCTAssertEqual(dig(rule, "fullDescription", "text") as? String, "A privileged container has every capability of the host.")
    XCTAssertEqual(rule["helpUri"] as? String, "https://example.org/kubeharden/blob/main/docs/rules.md#no-privileged")
    XCTAssertTrue((dig(rule, "help", "markdown") as? String)?.contains("[checkov CKV_K8S_16](https://www.checkov.io") ?? false)
    XCTAssertTrue((dig(rule, "help", "text") as? String)?.contains("Sets `privileged: false`.") ?? false)
    XCTAssertTrue((dig(rule, "properties", "tags") as? [String])?.contains("security") ?? false)

    let results = try XCTUnwrap(run["results"] as? [[String: Any]])
    XCTAssertEqual(results.count, 13)
    let first = results[0]
    XCTAssertEqual(first["ruleId"] as? String, "no-privileged")
    XCTAssertEqual(first["ruleIndex"] as? Int, 0)
    XCTAssertEqual(first["level"] as? String, "error")
    XCTAssertEqual(dig(first, "locations", 0, "physicalLocation", "artifactLocation", "uri") as? String, "deploy/web.yaml")
    let region = try XCTUnwrap(dig(first, "locations", 0, "physicalLocation", "region") as? [String: Int])
    XCTAssertEqual(region, ["startLine": 10, "startColumn": 19, "endLine": 10, "endColumn": 23])
    let deleted = try XCTUnwrap(
      dig(first, "fixes", 0, "artifactChanges", 0, "replacements", 0, "deletedRegion") as? [String: Int])
    XCTAssertEqual(
      deleted,
      [
        "byteOffset": reports[0].edits[0].range.lowerBound, "byteLength": 4, "startLine": 10, "startColumn": 19,
        "endLine": 10, "endColumn": 23,
      ])
    XCTAssertEqual(dig(first, "fixes", 0, "description", "text") as? String, "Set privileged: false")

    let exempted = results[3]
    XCTAssertEqual(exempted["ruleIndex"] as? Int, 3)
    XCTAssertEqual(dig(exempted, "suppressions", 0, "kind") as? String, "inSource")
    XCTAssertEqual(dig(exempted, "suppressions", 0, "justification") as? String, "annotation kubeharden.io/skip-run-as-non-root")
    XCTAssertNil(exempted["fixes"])

    let unfixable = try XCTUnwrap(results.first { ($0["properties"] as? [String: Any])?["fixStatus"] as? String == "manual" })
    XCTAssertEqual(dig(unfixable, "properties", "manualReason") as? String, "securityContext is an alias")
    XCTAssertEqual(
      dig(unfixable, "locations", 0, "physicalLocation", "artifactLocation", "uri") as? String, "dir%20with%20space/unfixable.yaml")
    XCTAssertNil(unfixable["fixes"])

    // The column of a finding after a multi-byte character counts Unicode scalars.
    let multibyte = try XCTUnwrap(results.first { (($0["message"] as? [String: Any])?["text"] as? String)?.contains("café") ?? false })
    XCTAssertEqual(dig(multibyte, "locations", 0, "physicalLocation", "region", "startColumn") as? Int, 48)
  }

  func testSARIFURIs() {
    XCTAssertEqual(SARIFReport.artifactURI("deploy/web.yaml"), "deploy/web.yaml")
    XCTAssertEqual(SARIFReport.artifactURI("./a b/c#d.yaml"), "./a%20b/c%23d.yaml")
    XCTAssertEqual(SARIFReport.artifactURI("/abs/web.yaml"), "file:///abs/web.yaml")
    XCTAssertEqual(SARIFReport.artifactURI("c:x/é.yaml"), "c%3Ax/%C3%A9.yaml")
  }

  /// Applies SARIF replacements by byteOffset/byteLength.
  func applySARIFFixes(_ result: [String: Any], to original: [UInt8]) throws -> [UInt8] {
    let replacements = try XCTUnwrap(dig(result, "fixes", 0, "artifactChanges", 0, "replacements") as? [[String: Any]])
    var edits: [Edit] = []
    for replacement in replacements {
      let offset = try XCTUnwrap(dig(replacement, "deletedRegion", "byteOffset") as? Int)
      let length = try XCTUnwrap(dig(replacement, "deletedRegion", "byteLength") as? Int)
      let text = dig(replacement, "insertedContent", "text") as? String ?? ""
      edits.append(Edit(range: offset..<(offset + length), replacement: text))
    }
    return try EditSet(edits).apply(to: original)
  }

  func testSARIFReplacementsGiveFixedBytes() throws {
    let singles = [
      try replaceReport(), try lineOneReport(), try eofWithoutNewlineReport(), try eofWithNewlineReport(),
      try multibyteReport(), try fenceReport(), try replaceReport(path: "crlf.yaml", lineBreak: "\r\n"),
    ]
    for report in singles {
      let sarif = try parse(SARIFReport.render([report], rules: rules, tool: tool))
      let result = try XCTUnwrap(dig(sarif, "runs", 0, "results", 0) as? [String: Any])
      XCTAssertEqual(try applySARIFFixes(result, to: report.original), report.fixed, report.path)
      // The deleted region's lines and columns match the byte offset.
      let deleted = try XCTUnwrap(dig(result, "fixes", 0, "artifactChanges", 0, "replacements", 0, "deletedRegion") as? [String: Int])
      let location = LineTable(SourceBuffer(report.original)).location(of: report.edits[0].range.lowerBound)
      XCTAssertEqual(deleted["startLine"], location.line, report.path)
      XCTAssertEqual(deleted["startColumn"], location.column, report.path)
    }
    // Both findings of the shared insertion carry the same replacement.
    let shared = try sharedInsertionReport()
    let results = try XCTUnwrap(dig(try parse(SARIFReport.render([shared], rules: rules, tool: tool)), "runs", 0, "results") as? [[String: Any]])
    XCTAssertEqual(try applySARIFFixes(results[0], to: shared.original), shared.fixed)
    XCTAssertEqual(try applySARIFFixes(results[1], to: shared.original), shared.fixed)
  }

  // MARK: rdjson

  func testRDJSONValidatesAgainstSchema() throws {
    try validate("rdjson", RDJSONReport.render(try allReports(), rules: rules, tool: tool))
    try validate("rdjson", RDJSONReport.render([], rules: [], tool: tool))
  }

  /// Applies rdjson suggestions the way reviewdog reads them: 1-based lines, 1-based UTF-8 byte
  /// columns, end exclusive.
  func applyRDJSONSuggestions(_ diagnostic: [String: Any], to original: [UInt8]) throws -> [UInt8] {
    let table = LineTable(SourceBuffer(original))
    func offset(_ position: Any?) throws -> Int {
      let line = try XCTUnwrap(dig(position, "line") as? Int)
      let column = try XCTUnwrap(dig(position, "column") as? Int)
      XCTAssertLessThanOrEqual(line, table.lineCount)
      let start = table.offset(ofLine: line)
      XCTAssertLessThanOrEqual(start + column - 1, table.range(ofLine: line).upperBound, "column beyond the line")
      return start + column - 1
    }
    let suggestions = try XCTUnwrap(diagnostic["suggestions"] as? [[String: Any]])
    var edits: [Edit] = []
    for suggestion in suggestions {
      let start = try offset(dig(suggestion, "range", "start"))
      let end = try offset(dig(suggestion, "range", "end"))
      edits.append(Edit(range: start..<end, replacement: try XCTUnwrap(suggestion["text"] as? String)))
    }
    return try EditSet(edits).apply(to: original)
  }

  func testRDJSONStructureAndSuggestions() throws {
    let reports = try allReports()
    let rdjson = try parse(RDJSONReport.render(reports, rules: rules, tool: tool))
    XCTAssertEqual(dig(rdjson, "source", "name") as? String, "kubeharden")
    XCTAssertEqual(dig(rdjson, "source", "url") as? String, "https://example.org/kubeharden")
    XCTAssertEqual(rdjson["severity"] as? String, "ERROR")
    let diagnostics = try XCTUnwrap(rdjson["diagnostics"] as? [[String: Any]])
    let first = diagnostics[0]
    XCTAssertEqual(first["message"] as? String, "container 'web' runs privileged")
    XCTAssertEqual(first["severity"] as? String, "ERROR")
    XCTAssertEqual(dig(first, "code", "value") as? String, "no-privileged")
    XCTAssertEqual(dig(first, "code", "url") as? String, "https://example.org/kubeharden/blob/main/docs/rules.md#no-privileged")
    XCTAssertEqual(dig(first, "location", "path") as? String, "deploy/web.yaml")
    XCTAssertEqual(dig(first, "location", "range", "start") as? [String: Int], ["line": 10, "column": 19])
    XCTAssertEqual(dig(first, "location", "range", "end") as? [String: Int], ["line": 10, "column": 23])
    XCTAssertEqual(dig(first, "suggestions", 0, "text") as? String, "false")

    // The exempted finding says why and has no suggestion; warnings are WARNING.
    let exempted = diagnostics[3]
    XCTAssertEqual(exempted["message"] as? String, "container 'side' may run as root (exempted: annotation kubeharden.io/skip-run-as-non-root)")
    XCTAssertEqual(exempted["severity"] as? String, "WARNING")
    XCTAssertNil(exempted["suggestions"])

    // Columns count UTF-8 bytes: "é" is two bytes, so one column more than in SARIF.
    let multibyte = try XCTUnwrap(diagnostics.first { ($0["message"] as? String)?.contains("café") ?? false })
    XCTAssertEqual(dig(multibyte, "location", "range", "start", "column") as? Int, 49)

    // An insertion is a zero-width range; one at the start of line 1 is at 1:1.
    let lineOne = try XCTUnwrap(diagnostics.first { ($0["message"] as? String) == "manifest has no apiVersion" })
    XCTAssertEqual(dig(lineOne, "suggestions", 0, "range", "start") as? [String: Int], ["line": 1, "column": 1])
    XCTAssertEqual(dig(lineOne, "suggestions", 0, "range", "end") as? [String: Int], ["line": 1, "column": 1])

    XCTAssertEqual(RDJSONReport.render(reports, rules: rules, tool: tool, includeExempted: false).contains("side' may run as root"), false)
  }

  func testRDJSONSuggestionsGiveFixedBytes() throws {
    let singles = [
      try replaceReport(), try lineOneReport(), try eofWithoutNewlineReport(), try eofWithNewlineReport(),
      try multibyteReport(), try fenceReport(), try sharedInsertionReport(),
    ]
    for report in singles {
      let rdjson = try parse(RDJSONReport.render([report], rules: rules, tool: tool))
      let diagnostic = try XCTUnwrap(dig(rdjson, "diagnostics", 0) as? [String: Any])
      XCTAssertEqual(
        String(decoding: try applyRDJSONSuggestions(diagnostic, to: report.original), as: UTF8.self),
        String(decoding: report.fixed, as: UTF8.self), report.path)
    }
    // At the end of a file with a final line break, the insertion moves before that break.
    let eof = try eofWithNewlineReport()
    let diagnostic = try XCTUnwrap(dig(try parse(RDJSONReport.render([eof], rules: rules, tool: tool)), "diagnostics", 0))
    XCTAssertEqual(dig(diagnostic, "suggestions", 0, "range", "start") as? [String: Int], ["line": 8, "column": 17])
    XCTAssertEqual(dig(diagnostic, "suggestions", 0, "text") as? String, "\n    securityContext:\n      privileged: false")
  }

  // MARK: GitHub review

  func comments(_ payload: String) throws -> [[String: Any]] {
    try XCTUnwrap(try parse(payload)["comments"] as? [[String: Any]])
  }

  func testGitHubSuggestionsGiveFixedBytes() throws {
    let lfReports = [
      try replaceReport(), try sharedInsertionReport(), try lineOneReport(), try eofWithoutNewlineReport(),
      try eofWithNewlineReport(), try adjacentReport(), try multibyteReport(), try fenceReport(), try unfixableReport(),
    ]
    for report in lfReports {
      let payload = GitHubReview.render([report], rules: rules, tool: tool)
      XCTAssertEqual(
        String(decoding: try GitHubReview.applySuggestions(original: report.original, payload: payload), as: UTF8.self),
        String(decoding: report.fixed, as: UTF8.self), report.path)
    }
    // One payload for all files: each file takes its own comments.
    let payload = GitHubReview.render(lfReports, rules: rules, tool: tool, commitID: "abc123")
    XCTAssertEqual(try parse(payload)["commit_id"] as? String, "abc123")
    for report in lfReports {
      XCTAssertEqual(try GitHubReview.applySuggestions(original: report.original, payload: payload, path: report.path), report.fixed, report.path)
    }
    // The simulation keeps CRLF when the replaced line has it.
    let crlf = try replaceReport(path: "crlf.yaml", lineBreak: "\r\n")
    let crlfPayload = GitHubReview.render([crlf], rules: rules, tool: tool)
    XCTAssertEqual(try GitHubReview.applySuggestions(original: crlf.original, payload: crlfPayload), crlf.fixed)
    let crlfBody = try XCTUnwrap(try comments(crlfPayload).first?["body"] as? String)
    XCTAssertFalse(crlfBody.contains("\r"))
    XCTAssertTrue(crlfBody.contains("CRLF"))
    XCTAssertTrue((try parse(crlfPayload)["body"] as? String)?.contains("`crlf.yaml`") ?? false)
  }

  func testGitHubCommentShapes() throws {
    // A single-line replacement: line only, no start_line.
    let single = try XCTUnwrap(try comments(GitHubReview.render([try replaceReport()], rules: rules, tool: tool)).first)
    XCTAssertEqual(single["path"] as? String, "deploy/web.yaml")
    XCTAssertEqual(single["line"] as? Int, 10)
    XCTAssertEqual(single["side"] as? String, "RIGHT")
    XCTAssertNil(single["start_line"])
    XCTAssertNil(single["start_side"])
    XCTAssertEqual(
      single["body"] as? String,
      """
      - **error** [`no-privileged`](https://example.org/kubeharden/blob/main/docs/rules.md#no-privileged): \
      container 'web' runs privileged — _Set privileged: false_

      ```suggestion
            privileged: false
      ```

      """)

    // Adjacent edits: one comment over both lines, naming both findings.
    let adjacent = try comments(GitHubReview.render([try adjacentReport()], rules: rules, tool: tool))
    XCTAssertEqual(adjacent.count, 1)
    XCTAssertEqual(adjacent[0]["start_line"] as? Int, 10)
    XCTAssertEqual(adjacent[0]["start_side"] as? String, "RIGHT")
    XCTAssertEqual(adjacent[0]["line"] as? Int, 11)
    let adjacentBody = try XCTUnwrap(adjacent[0]["body"] as? String)
    XCTAssertTrue(adjacentBody.contains("`no-privileged`") && adjacentBody.contains("`no-privilege-escalation`"))
    XCTAssertTrue(adjacentBody.hasSuffix("```suggestion\n      privileged: false\n      allowPrivilegeEscalation: false\n```\n"))

    // A shared insertion: one suggestion explaining both findings, replacing the line before
    // the insertion with itself plus the new lines; the exempted finding gets a plain comment.
    let shared = try comments(GitHubReview.render([try sharedInsertionReport()], rules: rules, tool: tool))
    XCTAssertEqual(shared.count, 2)
    XCTAssertEqual(shared[0]["line"] as? Int, 8)
    XCTAssertNil(shared[0]["start_line"])
    let sharedBody = try XCTUnwrap(shared[0]["body"] as? String)
    XCTAssertTrue(sharedBody.contains("`no-privilege-escalation`") && sharedBody.contains("`read-only-root-filesystem`"))
    XCTAssertTrue(
      sharedBody.hasSuffix(
        "```suggestion\n    image: nginx\n    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n```\n"))
    XCTAssertEqual(shared[1]["line"] as? Int, 9)
    let exemptedBody = try XCTUnwrap(shared[1]["body"] as? String)
    XCTAssertFalse(exemptedBody.contains("```"))
    XCTAssertTrue(exemptedBody.contains("exempted (annotation kubeharden.io/skip-run-as-non-root)"))
    XCTAssertEqual(try comments(GitHubReview.render([try sharedInsertionReport()], rules: rules, tool: tool, includeExempted: false)).count, 1)

    // Line 1: the new line, then the old line 1.
    let lineOne = try XCTUnwrap(try comments(GitHubReview.render([try lineOneReport()], rules: rules, tool: tool)).first)
    XCTAssertEqual(lineOne["line"] as? Int, 1)
    XCTAssertTrue((lineOne["body"] as? String)?.hasSuffix("```suggestion\napiVersion: v1\nkind: Pod\n```\n") ?? false)

    // End of file with a final line break: the last line plus the new lines.
    let eof = try XCTUnwrap(try comments(GitHubReview.render([try eofWithNewlineReport()], rules: rules, tool: tool)).first)
    XCTAssertEqual(eof["line"] as? Int, 8)

    // A suggestion that contains ``` uses a longer fence.
    let fence = try XCTUnwrap(try comments(GitHubReview.render([try fenceReport()], rules: rules, tool: tool)).first?["body"] as? String)
    XCTAssertTrue(fence.contains("````suggestion\n  name: web\n  annotations:\n    note: \"```yaml\"\n````\n"))

    // Unfixable: a plain comment on the start line saying why; errors go to the summary.
    let payload = GitHubReview.render([try unfixableReport(), errorReport()], rules: rules, tool: tool)
    let unfixable = try comments(payload)
    XCTAssertEqual(unfixable.count, 1)
    XCTAssertEqual(unfixable[0]["line"] as? Int, 4)
    XCTAssertEqual(unfixable[0]["path"] as? String, "dir with space/unfixable.yaml")
    XCTAssertTrue((unfixable[0]["body"] as? String)?.contains("Not fixed automatically: securityContext is an alias.") ?? false)
    let summary = try XCTUnwrap(try parse(payload)["body"] as? String)
    XCTAssertTrue(summary.contains("1 finding in 1 file: 0 fixable, 0 exempted, 1 manual."), summary)
    XCTAssertTrue(summary.contains("`broken.yaml` line 2, column 1: unexpected end of flow sequence"), summary)
    XCTAssertEqual(try parse(payload)["event"] as? String, "COMMENT")
  }

  func testGitHubDeletedAndJoinedLines() throws {
    let text = "a: 1\nb: 2\nc: 3\nd: 4\n"
    let delete = Edit.delete(range(of: "b: 2\n", in: text))
    let join = Edit.replace(range(of: "3\n", in: text), with: "3 ")
    let report = try report(
      "join.yaml", text, edits: [delete, join],
      findings: [
        finding("no-privileged", "b is bad", in: text, range: range(of: "b: 2", in: text), fix: Fix(title: "Delete b", edits: [delete])),
        finding("run-as-non-root", "c and d", in: text, range: range(of: "c: 3", in: text), fix: Fix(title: "Join", edits: [join])),
      ])
    let payload = GitHubReview.render([report], rules: rules, tool: tool)
    XCTAssertEqual(try GitHubReview.applySuggestions(original: report.original, payload: payload), report.fixed)
    // Lines 2 (deleted), 3 and 4 (joined) touch, so one comment covers lines 2 to 4.
    let all = try comments(payload)
    XCTAssertEqual(all.count, 1)
    XCTAssertEqual(all[0]["start_line"] as? Int, 2)
    XCTAssertEqual(all[0]["line"] as? Int, 4)
    XCTAssertTrue((all[0]["body"] as? String)?.hasSuffix("```suggestion\nc: 3 d: 4\n```\n") ?? false)

    // Deleting a line alone gives an empty suggestion block.
    let deleteOnly = try self.report("delete.yaml", text, edits: [delete], findings: [report.findings[0]])
    let deletePayload = GitHubReview.render([deleteOnly], rules: rules, tool: tool)
    XCTAssertTrue((try comments(deletePayload)[0]["body"] as? String)?.hasSuffix("```suggestion\n```\n") ?? false)
    XCTAssertEqual(try GitHubReview.applySuggestions(original: deleteOnly.original, payload: deletePayload), deleteOnly.fixed)

    XCTAssertEqual(
      TextReport.render([report], rules: rules),
      """
      join.yaml:2:1: warning[no-privileged]: b is bad
      join.yaml:3:1: warning[run-as-non-root]: c and d
          -b: 2
          -c: 3
          -d: 4
          +c: 3 d: 4

      """)

    // A fixable finding whose edit is missing from FileReport.edits gets a plain comment, and
    // the summary no longer claims that the suggestions carry every fix.
    var inconsistent = try replaceReport()
    inconsistent.edits = []
    let fallback = GitHubReview.render([inconsistent], rules: rules, tool: tool)
    XCTAssertTrue((try comments(fallback)[0]["body"] as? String)?.contains("could not be expressed as a suggestion") ?? false)
    XCTAssertFalse((try parse(fallback)["body"] as? String)?.contains("carry every fix") ?? true)
  }

  func testApplySuggestionsRejectsGarbage() {
    XCTAssertThrowsError(try GitHubReview.applySuggestions(original: [], payload: "[]"))
  }

  // MARK: Text

  func testTextReport() throws {
    let reports = [try unfixableReport(), try sharedInsertionReport(), errorReport(), try replaceReport(), try eofWithoutNewlineReport()]
    XCTAssertEqual(
      TextReport.render(reports, rules: rules),
      """
      deploy/shared.yaml:7:5: warning[no-privilege-escalation]: container 'web' may gain privileges
      deploy/shared.yaml:7:5: warning[read-only-root-filesystem]: container 'web' has a writable root filesystem
          +    securityContext:
          +      allowPrivilegeEscalation: false
          +      readOnlyRootFilesystem: true
      deploy/shared.yaml:9:5: warning[run-as-non-root]: container 'side' may run as root (exempted: annotation kubeharden.io/skip-run-as-non-root)
      deploy/web.yaml:10:19: error[no-privileged]: container 'web' runs privileged
          -      privileged: true
          +      privileged: false
      dir with space/unfixable.yaml:4:22: error[no-privileged]: container 'web' may run privileged (manual: securityContext is an alias)
      eof.yaml:9:5: error[no-privileged]: container 'web' may run privileged
          -      runAsUser: 1000
          +      runAsUser: 1000
          +      privileged: false

      """)
  }

  func testTextReportDiffs() throws {
    XCTAssertEqual(
      TextReport.render([try lineOneReport(), try adjacentReport()], rules: rules),
      """
      adjacent.yaml:10:19: error[no-privileged]: container 'web' runs privileged
      adjacent.yaml:11:33: warning[no-privilege-escalation]: container 'web' may gain privileges
          -      privileged: true
          -      allowPrivilegeEscalation: true
          +      privileged: false
          +      allowPrivilegeEscalation: false
      line-one.yaml:1:1: error[no-privileged]: manifest has no apiVersion
          +apiVersion: v1

      """)
  }

  func testTextReportGitHubActions() throws {
    var report = try unfixableReport()
    report.path = "a:b,c.yaml"
    report.findings[0].message = "100% bad\nreally"
    XCTAssertEqual(
      TextReport.render([report, try replaceReport()], rules: rules, githubActions: true),
      """
      ::error file=a%3Ab%2Cc.yaml,line=4,col=22,endLine=4,endColumn=29,title=no-privileged::100%25 bad%0Areally (manual: securityContext is an alias)
      a:b,c.yaml:4:22: error[no-privileged]: 100% bad
      really (manual: securityContext is an alias)
      ::error file=deploy/web.yaml,line=10,col=19,endLine=10,endColumn=23,title=no-privileged::container 'web' runs privileged
      deploy/web.yaml:10:19: error[no-privileged]: container 'web' runs privileged
          -      privileged: true
          +      privileged: false

      """)
    let exempted = TextReport.render([try sharedInsertionReport()], rules: rules, githubActions: true)
    XCTAssertTrue(exempted.contains("::notice file=deploy/shared.yaml,line=9,col=5"), exempted)
    XCTAssertTrue(exempted.contains("::warning file=deploy/shared.yaml,line=7,col=5"), exempted)

    // A file error is an annotation, not a line of the report (the command prints it once, on
    // standard error); past 10 of a kind, one notice counts the rest.
    let broken = TextReport.render([errorReport()], rules: rules, githubActions: true)
    XCTAssertEqual(broken, "::error file=broken.yaml,line=2,col=1,title=kubeharden::unexpected end of flow sequence\n")
    XCTAssertEqual(TextReport.render([errorReport()], rules: rules), "")
    let many = TextReport.render(Array(repeating: try replaceReport(), count: 12), rules: rules, githubActions: true)
    let lines = many.split(separator: "\n")
    XCTAssertEqual(lines.filter { $0.hasPrefix("::error ") }.count, 10, many)
    XCTAssertEqual(lines.filter { $0.hasPrefix("deploy/web.yaml:10:19: error[no-privileged]") }.count, 12, many)
    XCTAssertEqual(lines.last, "::notice title=kubeharden::2 more errors not shown as annotations (GitHub shows 10 of each kind per step); the log lists them")
  }

  /// The line `check` and `diff` end with.
  func testTextSummaryLine() throws {
    let reports = [try unfixableReport(), try sharedInsertionReport(), errorReport(), try replaceReport()]
    XCTAssertEqual(
      TextReport.summary(reports),
      "kubeharden: 4 files; 4 findings (2 errors, 2 warnings, 0 notes; 3 safe, 0 unsafe, 1 manual), 1 exempted, 1 error\n")
    XCTAssertEqual(TextReport.summary([], changed: 0), "kubeharden: 0 files, 0 would change; 0 findings, 0 exempted, 0 errors\n")
  }
}

/// The Pod Security check a finding belongs to, in the JSON report and the SARIF rules.
final class PodSecurityReportTests: XCTestCase {
  func testJSONAndSARIFNameThePodSecurityCheck() throws {
    let text = "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: true\n  containers:\n  - name: web\n"
    let report = Pipeline(configuration: Configuration()).process(path: "pod.yaml", bytes: Array(text.utf8))
    let tool = ReportTool(version: "1.0.0", informationURI: "https://example.org/kubeharden")
    let json = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(JSONReport.render([report], rules: PassRegistry.metadata, tool: tool).utf8)) as? [String: Any])
    let findings = try XCTUnwrap((json["files"] as? [[String: Any]])?.first?["findings"] as? [[String: Any]])
    let host = try XCTUnwrap(findings.first { $0["passId"] as? String == "host-namespaces" })
    let podSecurity = try XCTUnwrap(host["podSecurity"] as? [String: Any])
    XCTAssertEqual(podSecurity["profile"] as? String, "baseline")
    XCTAssertEqual(podSecurity["checks"] as? [String], ["hostNamespaces"])
    let limits = try XCTUnwrap(findings.first { $0["passId"] as? String == "resource-limits" })
    XCTAssertTrue(limits["podSecurity"] is NSNull, "kubeharden's own passes belong to no Pod Security check")

    let sarif = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(SARIFReport.render([report], rules: PassRegistry.metadata, tool: tool).utf8)) as? [String: Any])
    let runs = try XCTUnwrap(sarif["runs"] as? [[String: Any]])
    let driver = try XCTUnwrap((runs.first?["tool"] as? [String: Any])?["driver"] as? [String: Any])
    let rules = try XCTUnwrap(driver["rules"] as? [[String: Any]])
    let rule = try XCTUnwrap(rules.first { $0["id"] as? String == "restricted-volume-types" })
    let properties = try XCTUnwrap(rule["properties"] as? [String: Any])
    XCTAssertEqual(properties["podSecurityProfile"] as? String, "restricted")
    XCTAssertEqual(properties["podSecurityChecks"] as? [String], ["restrictedVolumes"])
  }
}
