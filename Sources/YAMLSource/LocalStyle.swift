import Synchronization

/// Reads how a document is written near a given node, so inserted text looks like its
/// neighbours: line breaks, key columns, indentation steps, sequence indentation, flow layout.
///
/// Every answer is local (nearest evidence first) because real files mix styles.
public struct LocalStyle: Sendable {
  public let document: Document
  var source: SourceBuffer { document.source }

  struct Facts {
    var documentStep: Int??
  }

  /// Facts about the whole document, computed on first use and shared by copies of this style.
  final class Cache: Sendable {
    let facts = Mutex(Facts())
    func withLock<R>(_ body: (inout Facts) -> R) -> R { facts.withLock { body(&$0) } }
  }

  let cache = Cache()

  public init(_ document: Document) { self.document = document }

  /// The column (0-based, Unicode scalars) of a node's first byte.
  public func column(of node: NodeID) -> Int { source.column(of: document.range(node).lowerBound) }

  /// The column of a block mapping's keys.
  public func keyColumn(of mapping: NodeID) -> Int? {
    guard document.isMapping(mapping), let key = document.firstChild(mapping), document.nextSibling(key) != nil else { return nil }
    return column(of: key)
  }

  /// The line break to use for text inserted at the end of the line containing `offset`.
  public func lineBreak(near offset: Int) -> LineBreak {
    if let lb = source.lineBreak(ofLineContaining: offset), lb != .cr { return lb }
    return source.dominantLineBreak
  }

  /// The indentation step for a new nested block mapping under a key of `mapping`, from the
  /// nearest evidence of the same role: the mapping's own nested blocks, then those of its
  /// siblings in the same sequence (the other containers), then the document's most common
  /// step, then 2. Ancestors are not asked: one odd block higher up (a pod `securityContext`
  /// indented by 4 in a 2-space file) must not set the style of every container.
  public func indentStep(near mapping: NodeID) -> Int {
    if document.isMapping(mapping), document.isBlock(mapping), let step = nestedStep(in: mapping) { return step }
    if let parent = document.parent(mapping), document.isSequence(parent) {
      var votes: [Int: Int] = [:]
      for item in document.items(parent) where item != mapping && document.isMapping(item) && document.isBlock(item) {
        if let step = nestedStep(in: item) { votes[step, default: 0] += 1 }
      }
      if let best = LocalStyle.mostCommon(votes) { return best }
    }
    return documentStep() ?? 2
  }

  /// The most common nesting step of the document, computed once per document.
  func documentStep() -> Int? {
    if let cached = cache.withLock({ $0.documentStep }) { return cached }
    var votes: [Int: Int] = [:]
    for node in document.allNodes where document.isMapping(node) && document.isBlock(node) {
      if let step = nestedStep(in: node) { votes[step, default: 0] += 1 }
    }
    let step = LocalStyle.mostCommon(votes)
    cache.withLock { $0.documentStep = .some(step) }
    return step
  }

  /// The key with the most votes; ties go to the smaller step.
  static func mostCommon(_ votes: [Int: Int]) -> Int? {
    votes.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key
  }

  /// `childKeyColumn - keyColumn` for the first value of `mapping` that is a block mapping
  /// starting on its own line.
  func nestedStep(in mapping: NodeID) -> Int? {
    guard let keyColumn = keyColumn(of: mapping) else { return nil }
    for entry in document.eachEntry(mapping) {
      let value = entry.value
      guard document.isMapping(value), document.isBlock(value), let childColumn = self.keyColumn(of: value) else { continue }
      let keyLine = source.lineStart(containing: document.range(entry.key).lowerBound)
      let childLine = source.lineStart(containing: document.contentStart(value))
      if childLine != keyLine && childColumn > keyColumn { return childColumn - keyColumn }
    }
    return nil
  }

  /// How far a block sequence that is the value of a key in `mapping` is indented from the
  /// key: 0 for `key:\n- a` (indentless, kubectl style), usually 2 for `key:\n  - a`. Nearest
  /// evidence first, then the document, then 0.
  public func sequenceIndent(near mapping: NodeID) -> Int {
    var current: NodeID? = mapping
    while let node = current {
      if document.isMapping(node), document.isBlock(node), let offset = sequenceOffset(in: node) { return offset }
      current = document.parent(node)
    }
    for node in document.allNodes where document.isMapping(node) && document.isBlock(node) {
      if let offset = sequenceOffset(in: node) { return offset }
    }
    return 0
  }

  func sequenceOffset(in mapping: NodeID) -> Int? {
    guard let keyColumn = keyColumn(of: mapping) else { return nil }
    for entry in document.eachEntry(mapping) where document.isSequence(entry.value) && document.isBlock(entry.value) {
      let dash = source.column(of: document.contentStart(entry.value))
      if dash >= keyColumn { return dash - keyColumn }
    }
    return nil
  }

  /// Whether a flow collection is laid out over several lines (a line break between its
  /// opening bracket and its first entry or closing bracket).
  public func isMultiLineFlow(_ node: NodeID) -> Bool {
    guard document.isFlow(node) else { return false }
    let open = document.contentStart(node)
    let firstContent = document.firstChild(node).map { document.range($0).lowerBound } ?? (document.range(node).upperBound - 1)
    var i = open
    let bytes = source.bytes
    while i < firstContent && i < bytes.count {
      if bytes[i] == UInt8(ascii: "\n") || bytes[i] == UInt8(ascii: "\r") { return true }
      i += 1
    }
    return false
  }

  /// How new collections are written inside the flow collection `container`: one entry per
  /// line when `multiLine` (new entries go on lines of their own), with the container's
  /// indentation step, else on one line; with the spacing after `:` and `,` of the nearest
  /// entries that show it (no space after `:` only for `json` keys, which are quoted); with the
  /// line break of the container's first line.
  public func flowLayout(in container: NodeID, multiLine: Bool, json: Bool) -> FlowLayout {
    var layout = FlowLayout.oneLine
    layout.lineBreak = lineBreak(near: document.contentStart(container))
    if multiLine { layout.step = flowStep(near: container) }
    var colon: String?
    var comma: String?
    var current: NodeID? = container
    while let node = current, document.isFlow(node), colon == nil || comma == nil {
      if colon == nil { colon = colonSeparator(in: node) }
      if comma == nil { comma = commaSeparator(in: node) }
      current = document.parent(node)
    }
    if let colon, colon.hasSuffix(" ") || json { layout.colon = colon }
    if let comma { layout.comma = comma }
    return layout
  }

  /// The step of a multi-line flow collection: its first entry's column minus the indentation
  /// of the line its bracket opens on; the nearest enclosing multi-line collection's when that
  /// says nothing; then 2.
  func flowStep(near container: NodeID) -> Int {
    var current: NodeID? = container
    while let node = current, document.isFlow(node) {
      if isMultiLineFlow(node), let first = document.firstChild(node) {
        let step = column(of: first) - indentation(ofLineContaining: document.contentStart(node))
        if step > 0 { return step }
      }
      current = document.parent(node)
    }
    return 2
  }

  /// The column of the first byte on the line of `offset` that is not a space.
  func indentation(ofLineContaining offset: Int) -> Int {
    let bytes = source.bytes
    var i = source.lineStart(containing: offset)
    if i == 0 && source.hasBOM { i = 3 }
    while i < bytes.count && bytes[i] == UInt8(ascii: " ") { i += 1 }
    return source.column(of: min(i, bytes.count))
  }

  /// The text between the key and the value of the last entry of a flow mapping written on one
  /// line (`: `, `:`, ` : `), if any entry shows it.
  func colonSeparator(in mapping: NodeID) -> String? {
    guard document.isMapping(mapping) else { return nil }
    for entry in document.entries(mapping).reversed() where document.isScalar(entry.key) {
      let between = document.range(entry.key).upperBound..<document.range(entry.value).lowerBound
      if let text = separator(between, around: UInt8(ascii: ":")) { return text }
    }
    return nil
  }

  /// The text between two entries (or items) of a flow collection written on one line (`, `,
  /// `,`), if two of them show it.
  func commaSeparator(in container: NodeID) -> String? {
    var child = document.firstChild(container)
    if document.isMapping(container) { child = child.flatMap { document.nextSibling($0) } }
    while let value = child, let next = document.nextSibling(value) {
      if let text = separator(document.contentEnd(value)..<document.range(next).lowerBound, around: UInt8(ascii: ",")) { return text }
      child = document.isMapping(container) ? document.nextSibling(next) : next
    }
    return nil
  }

  /// The bytes of `range` as a string when they are one `indicator` with at most 2 spaces on
  /// either side (no line break, comment or tab).
  func separator(_ range: Range<Int>, around indicator: UInt8) -> String? {
    let bytes = source.bytes
    guard range.lowerBound < range.upperBound, range.upperBound <= bytes.count, range.count <= 5 else { return nil }
    let text = bytes[range]
    guard text.filter({ $0 == indicator }).count == 1, text.allSatisfy({ $0 == indicator || $0 == UInt8(ascii: " ") }) else {
      return nil
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Whether a flow mapping is written as JSON (every key double-quoted).
  public func isJSONStyle(_ mapping: NodeID) -> Bool {
    let entries = document.entries(mapping)
    guard !entries.isEmpty else {
      // An empty mapping: look at the parent's keys.
      if let parent = document.parent(mapping), document.isMapping(parent), document.isFlow(parent) {
        return isJSONStyle(parent)
      }
      return false
    }
    return entries.allSatisfy { document.style($0.key) == .doubleQuoted }
  }

  /// The quote style most used by the keys of `mapping`.
  public func keyQuoteStyle(of mapping: NodeID) -> NodeStyle {
    let entries = document.entries(mapping)
    guard !entries.isEmpty else { return .plain }
    let quoted = entries.filter { document.style($0.key) == .doubleQuoted }.count
    return quoted * 2 > entries.count ? .doubleQuoted : .plain
  }

  /// The text after a node on its line, starting at the node's content end: blanks and an
  /// end-of-line comment (empty when the line ends there).
  public func restOfLine(after node: NodeID) -> Range<Int> {
    let end = document.contentEnd(node)
    return end..<source.lineEnd(containing: end)
  }

  /// The end-of-line comment after a node, if there is one on the same line.
  public func trailingComment(after node: NodeID) -> Range<Int>? {
    let rest = restOfLine(after: node)
    let bytes = source.bytes
    var i = rest.lowerBound
    while i < rest.upperBound, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
    guard i < rest.upperBound, bytes[i] == UInt8(ascii: "#") else { return nil }
    return i..<rest.upperBound
  }

  /// The comment lines right after a node's line whose `#` sits at the node's own column or
  /// deeper (blank lines between them included), e.g. commented-out keys.
  public func followingCommentLines(of node: NodeID) -> Range<Int> {
    let column = self.column(of: node)
    let start = source.nextLineStart(after: document.contentEnd(node))
    var lineStart = start
    var lastCommentEnd = start
    let bytes = source.bytes
    while lineStart < bytes.count {
      var i = lineStart
      while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
      let lineEnd = source.lineEnd(containing: lineStart)
      if i == lineEnd {
        lineStart = source.nextLineStart(after: lineStart)
        if lineStart >= bytes.count && lineEnd == bytes.count { break }
        continue
      }
      guard bytes[i] == UInt8(ascii: "#"), i - lineStart >= column else { break }
      lineStart = source.nextLineStart(after: lineStart)
      lastCommentEnd = lineStart
    }
    return start..<lastCommentEnd
  }
}

/// How new flow collections are laid out: on one line (`{"a": 1, "b": 2}`), or one entry per
/// line like a pretty-printed JSON file, each level `step` deeper, the closing bracket at the
/// indentation of the line that opens it.
public struct FlowLayout: Sendable, Hashable {
  /// The indentation step of the multi-line layout; nil writes collections on one line.
  public var step: Int?
  /// Written between a key and its value (`: `; `:` in compact JSON).
  public var colon: String
  /// Written between entries on one line (`, `; `,` in compact JSON).
  public var comma: String
  public var lineBreak: LineBreak

  public init(step: Int?, colon: String, comma: String, lineBreak: LineBreak) {
    self.step = step
    self.colon = colon
    self.comma = comma
    self.lineBreak = lineBreak
  }

  /// `{a: 1, b: 2}`.
  public static let oneLine = FlowLayout(step: nil, colon: ": ", comma: ", ", lineBreak: .lf)

  /// What follows a trailing comma before a new entry on the same line (`,` → ` x,`).
  var afterComma: String {
    guard let comma = comma.firstIndex(of: ",") else { return " " }
    return String(self.comma[self.comma.index(after: comma)...])
  }
}
