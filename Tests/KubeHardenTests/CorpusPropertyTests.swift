import Foundation
import XCTest
import YAMLSource

@testable import KubeHarden

/// Properties of `fix` over every file of the shared dev corpus: the output re-parses with the
/// same documents; its data differs from the input only under `securityContext` and `resources`;
/// every comment of the input is still there; a second run changes nothing; files with nothing
/// to fix are returned byte-identical.
final class CorpusPropertyTests: XCTestCase {
  static var corpus: URL? {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = repo.deletingLastPathComponent().appendingPathComponent("shared/corpus/dev")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
  }

  static func files() throws -> [URL] {
    guard let corpus else {
      let message = "SKIPPED: ../shared/corpus/dev is not present next to the repository"
      print(message)
      throw XCTSkip(message)
    }
    let walker = FileManager.default.enumerator(at: corpus, includingPropertiesForKeys: nil)
    var files: [URL] = []
    while let url = walker?.nextObject() as? URL {
      if ["yaml", "yml", "json"].contains(url.pathExtension) { files.append(url) }
    }
    return files.sorted { $0.path < $1.path }
  }

  /// Comments: `#` at a line start or after a blank, outside every scalar's byte range.
  static func comments(_ bytes: [UInt8]) -> [String: Int] {
    guard let documents = try? YAMLParser.parse(SourceBuffer(bytes)) else { return [:] }
    var scalarRanges: [Range<Int>] = []
    for doc in documents {
      for node in doc.allNodes where doc.isScalar(node) {
        var range = doc.range(node)
        // A block scalar's range includes its header comment: only its body is text.
        if doc.style(node).isBlockScalar { range = SourceBuffer(bytes).nextLineStart(after: range.lowerBound)..<range.upperBound }
        if !range.isEmpty { scalarRanges.append(range) }
      }
    }
    scalarRanges.sort { $0.lowerBound < $1.lowerBound }
    var result: [String: Int] = [:]
    var r = 0
    var i = 0
    while i < bytes.count {
      while r < scalarRanges.count && scalarRanges[r].upperBound <= i { r += 1 }
      if bytes[i] == UInt8(ascii: "#"), i == 0 || [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i - 1]),
        !(r < scalarRanges.count && scalarRanges[r].contains(i))
      {
        var end = i
        while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
        result[String(decoding: bytes[i..<end], as: UTF8.self), default: 0] += 1
        i = end
        continue
      }
      i += 1
    }
    return result
  }

  /// Whether `document` is a LimitRange that `namespace-limit-range` wrote (its name, a
  /// namespace no LimitRange of `before` names).
  static func isAddedLimitRange(_ document: Document, before: [Document]) -> Bool {
    let editor = MappingEditor(document)
    guard let root = document.root, editor.value(at: ["kind"], in: root).flatMap({ document.string($0) }) == "LimitRange",
      editor.value(at: ["metadata", "name"], in: root).flatMap({ document.string($0) }) == LimitRangeSettings().name
    else { return false }
    return !before.contains { old in old.root.map { old.sourceText($0) } == document.root.map { document.sourceText($0) } }
  }

  /// Keys whose scalar an unsafe fix may replace.
  static let replaceableKeys: Set<String> = [
    "privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot", "runAsUser", "type",
  ]
  /// What a non-empty edit replaces: the removed text (trimmed), the key of the scalar it
  /// replaces (if it replaces one), and whether that text is an empty value (`{}`, `~`, `null`).
  static func replaced(_ edit: Edit, in bytes: [UInt8], documents: [Document]) -> (String, String?, Bool) {
    let removed = String(decoding: bytes[edit.range], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    let doc = documents.first { $0.range.contains(edit.range.lowerBound) }
    let node = doc.flatMap { d in d.allNodes.first { d.isScalar($0) && d.range($0) == edit.range } }
    let key = node.flatMap { n in
      doc.flatMap { d in d.parent(n).flatMap { p in d.entries(p).first { $0.value == n } }.flatMap { d.string($0.key) } }
    }
    return (removed, key, ["{}", "~", "null", "Null", "NULL"].contains(removed))
  }

  /// Whether `edit` deletes whole items of a `capabilities.add` list and nothing else: the
  /// items, their dashes or commas, blanks, line breaks and comments (an unsafe removal of an
  /// added capability).
  static func removesAddedCapabilities(_ edit: Edit, in bytes: [UInt8], documents: [Document]) -> Bool {
    guard !edit.range.isEmpty, let doc = documents.first(where: { $0.range.contains(edit.range.lowerBound) }) else { return false }
    let items = doc.allNodes.filter { doc.isScalar($0) && doc.range($0).overlaps(edit.range) }
    guard !items.isEmpty else { return false }
    for item in items {
      let range = doc.range(item)
      guard range.lowerBound >= edit.range.lowerBound, range.upperBound <= edit.range.upperBound,
        let list = doc.parent(item), doc.isSequence(list), let owner = doc.parent(list),
        doc.entries(owner).first(where: { $0.value == list }).flatMap({ doc.string($0.key) }) == "add",
        let capabilities = doc.parent(owner),
        doc.entries(capabilities).first(where: { $0.value == owner }).flatMap({ doc.string($0.key) })
          == "capabilities"
      else { return false }
    }
    var rest: [UInt8] = []
    var offset = edit.range.lowerBound
    var inComment = false
    while offset < edit.range.upperBound {
      if let item = items.first(where: { doc.range($0).contains(offset) }) {
        offset = doc.range(item).upperBound
        continue
      }
      let byte = bytes[offset]
      if byte == UInt8(ascii: "#") { inComment = true }
      if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { inComment = false }
      if !inComment { rest.append(byte) }
      offset += 1
    }
    return rest.allSatisfy { " \t\r\n-,".utf8.contains($0) }
  }

  /// Keys under which fixes write (the emptyDirs of a read-only root among them).
  static let writtenKeys: Set<String> = ["securityContext", "resources", "volumeMounts", "volumes"]

  /// With --unsafe-fixes every finding that had a fix is fixed: a second check finds nothing
  /// fixable, the edits replace only security scalars or empty values, and the output is a
  /// fixed point.
  func testUnsafeFixesFixEveryFixableFindingOverTheDevCorpus() throws {
    var configuration = Configuration()
    configuration.unsafeFixes = true
    let pipeline = Pipeline(configuration: configuration)
    var unsafeShown = 0
    var unsafeApplied = 0
    for url in try Self.files() {
      let name = url.lastPathComponent
      let bytes = Array(try Data(contentsOf: url))
      let shown = Pipeline().process(path: name, bytes: bytes)
      unsafeShown += shown.findings.filter { $0.fix?.applicability == .unsafe && $0.status.isFixable }.count
      let report = pipeline.process(path: name, bytes: bytes)
      guard report.error == nil else { continue }
      unsafeApplied += report.findings.filter { $0.fix?.applicability == .unsafe && $0.status.isFixable }.count
      let before = try YAMLParser.parse(SourceBuffer(bytes))
      for edit in report.edits where !edit.range.isEmpty {
        let (removed, key, isEmptyToken) = Self.replaced(edit, in: bytes, documents: before)
        XCTAssertTrue(
          isEmptyToken || key.map(Self.replaceableKeys.contains) == true
            || Self.removesAddedCapabilities(edit, in: bytes, documents: before),
          "\(name): unexpected edit of '\(removed)'")
      }
      let again = pipeline.process(path: name, bytes: report.fixed)
      XCTAssertNil(again.error, name)
      XCTAssertEqual(again.fixed, report.fixed, "\(name): second fix --unsafe-fixes changes the file")
      let left = again.findings.filter { $0.status.isFixable }
      XCTAssertEqual(left.map(\.message), [], "\(name): fixable findings left after fix --unsafe-fixes")
    }
    print("corpus property (--unsafe-fixes): \(unsafeShown) unsafe fixes shown by default, \(unsafeApplied) applied with the flag")
    XCTAssertGreaterThan(unsafeShown, 0)
    XCTAssertEqual(unsafeShown, unsafeApplied)
  }

  func testFixPropertiesOverTheDevCorpus() throws {
    let files = try Self.files()
    var changed = 0
    var untouched = 0
    var errors: [String] = []
    var editCount = 0
    for url in files {
      let bytes = Array(try Data(contentsOf: url))
      let report = Pipeline().process(path: url.lastPathComponent, bytes: bytes)
      let name = url.lastPathComponent
      // `fix` keeps counts only: same bytes, same counts as the full report.
      let counted = Pipeline(keepFindings: false).process(path: name, bytes: bytes)
      XCTAssertEqual(counted.fixed, report.fixed, "\(name): counting mode fixes differently")
      XCTAssertEqual(counted.counts, report.counts, "\(name): counting mode counts differently")
      if let error = report.error {
        errors.append("\(name): \(error)")
        XCTAssertEqual(report.fixed, bytes)
        continue
      }
      guard report.changed else {
        untouched += 1
        XCTAssertTrue(report.edits.isEmpty, name)
        continue
      }
      changed += 1
      editCount += report.edits.count
      // Re-parses, same number of documents, same data outside securityContext/resources.
      let before = try YAMLParser.parse(SourceBuffer(bytes))
      guard let after = try? YAMLParser.parse(SourceBuffer(report.fixed)) else {
        XCTFail("\(name): output does not parse")
        continue
      }
      // `namespace-limit-range` adds a LimitRange document after a Namespace: set those aside,
      // one per fixed Namespace, and the rest are the input's documents.
      let added = report.findings.filter { $0.passID == NamespaceLimitRange.id && $0.status.isFixable }.count
      let kept = after.filter { !Self.isAddedLimitRange($0, before: before) }
      XCTAssertEqual(after.count - kept.count, added, "\(name): LimitRange documents added")
      XCTAssertEqual(before.count, kept.count, name)
      for (old, new) in zip(before, kept) {
        XCTAssertEqual(
          old.dataHash(ignoring: Self.writtenKeys), new.dataHash(ignoring: Self.writtenKeys),
          "\(name) doc \(old.index)")
      }
      // Every edit only inserts, or replaces a security scalar, or removes an empty value token.
      for edit in report.edits where !edit.range.isEmpty {
        let (removed, key, isEmptyToken) = Self.replaced(edit, in: bytes, documents: before)
        // By default an explicit value is the workload's choice: only empty values are replaced.
        XCTAssertTrue(isEmptyToken, "\(name): an explicit value '\(removed)' of '\(key ?? "?")' was changed without --unsafe-fixes")
      }
      // Every comment is kept.
      let inComments = Self.comments(bytes)
      let outComments = Self.comments(report.fixed)
      for (comment, count) in inComments {
        XCTAssertGreaterThanOrEqual(outComments[comment, default: 0], count, "\(name): lost comment \(comment)")
      }
      // Idempotent.
      let again = Pipeline().process(path: name, bytes: report.fixed)
      XCTAssertNil(again.error, name)
      XCTAssertEqual(again.fixed, report.fixed, "\(name): second fix changes the file")
    }
    print(
      "corpus property: \(files.count) files, \(changed) changed with \(editCount) edits, \(untouched) untouched, \(errors.count) rejected: \(errors)"
    )
    XCTAssertGreaterThanOrEqual(files.count, 265)
    XCTAssertGreaterThan(changed, 100)
    XCTAssertLessThanOrEqual(errors.count, 3)
  }
}
