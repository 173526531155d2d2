import Synchronization

/// Why an edit was not made: the layer refuses rather than guess.
public struct EditRefusal: Error, Sendable, Hashable, CustomStringConvertible {
  public var reason: String
  public var offset: Int
  public init(_ reason: String, at offset: Int) {
    self.reason = reason
    self.offset = offset
  }
  public var description: String { reason }
}

/// The value found for a key, and whether it is written in the mapping itself or comes
/// through a `<<` merge key.
public struct KeyLookup: Sendable, Hashable {
  public var key: NodeID
  public var value: NodeID
  /// `true` when the key is written in the mapping itself (not merged in).
  public var isLocal: Bool
}

/// Reads mappings (merge keys included) and makes minimal edits to them in the document's local
/// style. Every method returns edits of the original buffer; nothing is applied here.
public struct MappingEditor: Sendable {
  public let document: Document
  public let style: LocalStyle
  /// Blocks rendered so far by the worker that owns this editor, if it keeps them.
  let renderCache: RenderCache?
  var source: SourceBuffer { document.source }
  var bytes: [UInt8] { document.source.bytes }

  /// An editor for `document`. A worker that edits document after document passes the same
  /// `renderCache` to each of its editors: real files insert the same block into container
  /// after container, so most blocks are then rendered once per worker.
  public init(_ document: Document, renderCache: RenderCache? = nil) {
    self.document = document
    self.style = LocalStyle(document)
    self.renderCache = renderCache
  }

  // MARK: Reading

  /// The value of `key` in `mapping`, following `<<` merge keys: local keys win over merged
  /// ones; in a merge list, earlier mappings win. Aliases are resolved; `nil` if absent.
  public func lookup(_ mapping: NodeID, _ key: String) -> KeyLookup? {
    lookup(mapping, key, depth: 0)
  }

  func lookup(_ mapping: NodeID, _ key: String, depth: Int) -> KeyLookup? {
    let mapping = document.resolved(mapping)
    guard document.isMapping(mapping), depth < 32 else { return nil }
    // Walk the children in place (keys and values alternate): no array per lookup.
    var local: MappingEntry?
    var hasMerge = false
    var child = document.firstChild(mapping)
    while let k = child, let v = document.nextSibling(k) {
      if document.scalar(k, equals: key) {
        if !isMergeKey(k) { local = MappingEntry(key: k, value: v) }
      } else if !hasMerge && isMergeKey(k) {
        hasMerge = true
      }
      child = document.nextSibling(v)
    }
    if let local { return KeyLookup(key: local.key, value: local.value, isLocal: depth == 0) }
    guard hasMerge else { return nil }
    for entry in document.eachEntry(mapping) where isMergeKey(entry.key) {
      let source = document.resolved(entry.value)
      let targets = document.isSequence(source) ? document.items(source) : [source]
      for target in targets {
        if let found = lookup(target, key, depth: depth + 1) {
          return KeyLookup(key: found.key, value: found.value, isLocal: false)
        }
      }
    }
    return nil
  }

  /// The value at `path` (a key per level) under `mapping`, following merge keys and aliases;
  /// nil when a key is missing or a level is not a mapping.
  public func value(at path: [String], in mapping: NodeID) -> NodeID? {
    var current = mapping
    for key in path {
      guard let found = lookup(current, key) else { return nil }
      current = document.resolved(found.value)
    }
    return current
  }

  /// Whether a key node is the merge key `<<` (plain, untagged).
  public func isMergeKey(_ key: NodeID) -> Bool { document.isMergeKey(key) }

  /// The first key of `mapping` that repeats an earlier key, if any (no array: small mappings
  /// are compared pairwise in place).
  public func firstDuplicateKey(in mapping: NodeID) -> NodeID? {
    var count = 0
    var child = document.firstChild(mapping)
    while let k = child {
      if document.isScalar(k) && !isMergeKey(k) {
        count += 1
        if count > 24 { return duplicateKeys(in: mapping).first }
        var earlier = document.firstChild(mapping)
        while let e = earlier, e != k {
          if document.isScalar(e) && document.scalarValuesEqual(e, k) && !isMergeKey(e) { return k }
          earlier = document.nextSibling(e).flatMap { document.nextSibling($0) }
        }
      }
      child = document.nextSibling(k).flatMap { document.nextSibling($0) }
    }
    return nil
  }

  /// Whether `key` is written more than once in `mapping`.
  public func isDuplicated(_ key: String, in mapping: NodeID) -> Bool {
    var seen = false
    var child = document.firstChild(mapping)
    while let k = child {
      if document.isScalar(k) && document.scalar(k, equals: key) && !isMergeKey(k) {
        if seen { return true }
        seen = true
      }
      child = document.nextSibling(k).flatMap { document.nextSibling($0) }
    }
    return false
  }

  /// Keys written more than once in `mapping` (libyaml accepts them silently).
  public func duplicateKeys(in mapping: NodeID) -> [NodeID] {
    var keys: [NodeID] = []
    var child = document.firstChild(mapping)
    while let k = child {
      if document.isScalar(k) && !isMergeKey(k) { keys.append(k) }
      child = document.nextSibling(k).flatMap { document.nextSibling($0) }
    }
    var duplicates: [NodeID] = []
    if keys.count <= 24 {
      // Small mappings (nearly all): compare bytes pairwise, no strings.
      for (i, key) in keys.enumerated() where keys[..<i].contains(where: { document.scalarValuesEqual($0, key) }) {
        duplicates.append(key)
      }
      return duplicates
    }
    var seen = Set<ArraySlice<UInt8>>()
    for key in keys where !seen.insert(document.valueBytes(key)).inserted { duplicates.append(key) }
    return duplicates
  }

  // MARK: Editing

  /// Edits that add `entries` to `mapping` (block or flow, possibly empty `{}`), after its last
  /// entry, in local style. Keys must not exist yet (the caller checks).
  ///
  /// `order` ranks insertions that land on the same offset: a deeper mapping should get a lower
  /// number so its keys come before its parent's.
  public func insert(_ entries: [NewEntry], into mapping: NodeID, order: Int = 0) throws(EditRefusal) -> [Edit] {
    guard !entries.isEmpty else { return [] }
    guard document.isMapping(mapping) else { throw EditRefusal("not a mapping", at: document.range(mapping).lowerBound) }
    if document.isFlow(mapping) { return try insertIntoFlow(entries, mapping: mapping, order: order) }
    return try insertIntoBlock(entries, mapping: mapping, order: order)
  }

  /// Edits that replace a null or empty value (`key:`, `key: ~`, `key: null`, `key: {}`) with a
  /// mapping holding `entries`: a block under the key when the parent is a block mapping, a
  /// flow mapping otherwise.
  public func replaceEmptyValue(_ value: NodeID, with entries: [NewEntry], order: Int = 0) throws(EditRefusal) -> [Edit] {
    try replaceEmpty(value, by: .mapping(entries), order: order)
  }

  /// Edits that replace a null value (`key:`, `key: ~`, `key: null`) with a list of `items`: a
  /// block list under the key (in the local sequence indentation) when the parent is a block
  /// mapping, `[...]` otherwise.
  public func replaceEmptyValue(_ value: NodeID, withItems items: [NewValue], order: Int = 0) throws(EditRefusal) -> [Edit] {
    guard document.isNull(value) else { throw EditRefusal("the value is not empty", at: document.range(value).lowerBound) }
    return try replaceEmpty(value, by: .sequence(items), order: order)
  }

  func replaceEmpty(_ value: NodeID, by newValue: NewValue, order: Int) throws(EditRefusal) -> [Edit] {
    let range = document.range(value)
    guard let parent = document.parent(value), document.isMapping(parent) else {
      throw EditRefusal("the value is not in a mapping", at: range.lowerBound)
    }
    guard !document.hasAnchor(value), !document.isAliased(value) else {
      throw EditRefusal("the value carries an anchor", at: range.lowerBound)
    }
    let isEmptyFlowMapping = document.isMapping(value) && document.isFlow(value) && document.firstChild(value) == nil
    guard isEmptyFlowMapping || (document.isNull(value) && !document.hasTag(value)) else {
      throw EditRefusal("the value is not empty", at: range.lowerBound)
    }
    guard let entry = document.eachEntry(parent).first(where: { $0.value == value }) else {
      throw EditRefusal("value without key", at: range.lowerBound)
    }
    if document.isFlow(parent) {
      if range.isEmpty { throw EditRefusal("empty value inside a flow mapping", at: range.lowerBound) }
      // In a multi-line mapping the new collection is laid out like it, closing at its key's column.
      let json = style.isJSONStyle(parent)
      let layout = style.flowLayout(in: parent, multiLine: style.isMultiLineFlow(parent), json: json)
      let text = ScalarRendering.render(newValue, json: json, layout: layout, indent: style.column(of: entry.key))
      return [Edit(range: range, replacement: text)]
    }
    let keyColumn = style.column(of: entry.key)
    let step = style.indentStep(near: parent)
    var edits: [Edit] = []
    var anchorOffset = range.upperBound
    if !range.isEmpty {
      // Delete the token and the blanks before it, keeping any comment after it. A token alone
      // on its line (`resources:` then `{}` below) takes the line break before it too, so that
      // no empty line is left and its comment moves up to the line before.
      let bytes = self.bytes
      var deleteStart = range.lowerBound
      while deleteStart > 0, bytes[deleteStart - 1] == UInt8(ascii: " ") || bytes[deleteStart - 1] == UInt8(ascii: "\t") {
        deleteStart -= 1
      }
      var deleteEnd = range.upperBound
      if deleteStart > 0 && bytes[deleteStart - 1] == UInt8(ascii: "\n") {
        let source = document.source
        let breakStart = deleteStart > 1 && bytes[deleteStart - 2] == UInt8(ascii: "\r") ? deleteStart - 2 : deleteStart - 1
        let previousLine = bytes[source.lineStart(containing: breakStart)..<breakStart]
        let rest = bytes[range.upperBound..<source.lineEnd(containing: range.upperBound)]
        if previousLine.contains(UInt8(ascii: "#")) {
          // The line before ends in a comment (or is one): joining would run the token's line
          // into that comment. The token's own comment stays on its line, where the token was;
          // a line with nothing else goes whole, its blanks too (its line break then ends the
          // line before).
          if rest.contains(UInt8(ascii: "#")) {
            deleteStart = range.lowerBound
            while deleteEnd < bytes.count, bytes[deleteEnd] == UInt8(ascii: " ") || bytes[deleteEnd] == UInt8(ascii: "\t") {
              deleteEnd += 1
            }
          } else {
            deleteStart = breakStart
            deleteEnd = source.lineEnd(containing: range.upperBound)
          }
        } else {
          deleteStart = breakStart
        }
      }
      edits.append(.delete(deleteStart..<deleteEnd))
      anchorOffset = range.upperBound
    }
    let lb = style.lineBreak(near: anchorOffset)
    let sequenceIndent = style.sequenceIndent(near: parent)
    let lines: [String]
    switch newValue {
    case .sequence(let items):
      lines = items.flatMap {
        renderItem(
          $0, dashColumn: keyColumn + sequenceIndent, contentColumn: keyColumn + sequenceIndent + 2, step: step,
          sequenceIndent: sequenceIndent)
      }
    case .mapping(let entries):
      lines = renderBlock(entries, indent: keyColumn + step, step: step, sequenceIndent: sequenceIndent)
    default:
      throw EditRefusal("only a mapping or a list replaces an empty value", at: range.lowerBound)
    }
    edits.append(insertLines(lines, afterLineOf: anchorOffset, lineBreak: lb, order: order))
    return edits
  }

  /// An edit that replaces a scalar with `value`, keeping its quote style where the new value is
  /// a string (booleans and integers are written plain) and leaving its end-of-line comment.
  public func replaceScalar(_ node: NodeID, with value: NewValue) throws(EditRefusal) -> Edit {
    let range = document.range(node)
    guard document.isScalar(node) else { throw EditRefusal("not a scalar", at: range.lowerBound) }
    guard !document.hasAnchor(node), !document.isAliased(node) else {
      throw EditRefusal("the scalar carries an anchor used elsewhere", at: range.lowerBound)
    }
    guard !document.hasTag(node) else { throw EditRefusal("the scalar carries a tag", at: range.lowerBound) }
    let nodeStyle = document.style(node)
    guard !nodeStyle.isBlockScalar else { throw EditRefusal("block scalars are not replaced", at: range.lowerBound) }
    let inFlow = isInFlow(node)
    let json = inFlow && nodeStyle == .doubleQuoted
    let text = ScalarRendering.render(value, flow: inFlow, json: json, quoteStyle: nodeStyle)
    return Edit(range: range, replacement: text)
  }

  /// Whether a node sits inside a flow collection.
  public func isInFlow(_ node: NodeID) -> Bool {
    var current = document.parent(node)
    while let p = current {
      if document.isFlow(p) { return true }
      current = document.parent(p)
    }
    return false
  }

  /// Edits that append `items` to a sequence (block or flow, possibly empty `[]`), after its last
  /// item, in local style.
  public func append(_ items: [NewValue], to sequence: NodeID, order: Int = 0) throws(EditRefusal) -> [Edit] {
    guard !items.isEmpty else { return [] }
    let range = document.range(sequence)
    guard document.isSequence(sequence) else { throw EditRefusal("not a sequence", at: range.lowerBound) }
    guard !document.hasAnchor(sequence) || !document.isAliased(sequence) else {
      throw EditRefusal("the sequence carries an anchor that an alias uses", at: range.lowerBound)
    }
    // New string items take the quotes of the last existing item.
    let quote = document.lastChild(sequence).map { document.style($0) }.flatMap { $0.isQuoted ? $0 : nil } ?? .plain
    if document.isFlow(sequence) {
      let json = isInFlow(sequence) && style.isJSONStyle(document.parent(sequence) ?? sequence)
      let render = { (layout: FlowLayout, indent: Int) in
        items.map { ScalarRendering.render($0, json: json, layout: layout, indent: indent, quoteStyle: quote) }
      }
      guard let last = document.lastChild(sequence) else { return [fillEmptyFlow(sequence, json: json, render: render, order: order)] }
      return try appendToFlow(
        render, json: json, container: sequence, lastValue: last, lastKey: last, close: UInt8(ascii: "]"), order: order)
    }
    guard let first = document.firstChild(sequence), let last = document.lastChild(sequence) else {
      throw EditRefusal("empty block sequence", at: range.lowerBound)
    }
    let width = dashWidth(before: first)
    let contentColumn = style.column(of: first)
    let dashColumn = max(0, contentColumn - width)
    let step = style.indentStep(near: sequence)
    let lines = items.flatMap {
      renderItem(
        $0, dashColumn: dashColumn, contentColumn: max(contentColumn, dashColumn + 2), step: step,
        sequenceIndent: style.sequenceIndent(near: sequence), quote: quote)
    }
    return [try insertAfterLastContent(lines, lastValue: last, keyColumn: dashColumn, order: order)]
  }

  /// The width of `- ` (and any extra spaces) between an item's dash and the item itself.
  func dashWidth(before item: NodeID) -> Int {
    let bytes = self.bytes  // one reference for the loop, not one per access
    var i = document.range(item).lowerBound
    var width = 0
    while i > 0, bytes[i - 1] == UInt8(ascii: " ") {
      i -= 1
      width += 1
    }
    return i > 0 && bytes[i - 1] == UInt8(ascii: "-") ? width + 1 : 0
  }

  // MARK: Block mappings

  func insertIntoBlock(_ entries: [NewEntry], mapping: NodeID, order: Int) throws(EditRefusal) -> [Edit] {
    guard let first = document.eachEntry(mapping).first(where: { _ in true }), let lastValue = document.lastChild(mapping) else {
      throw EditRefusal("empty block mapping", at: document.range(mapping).lowerBound)
    }
    for entry in document.eachEntry(mapping) {
      let key = entry.key
      if !document.isScalar(key) && !document.isAlias(key) {
        throw EditRefusal("the mapping has a complex key", at: document.range(key).lowerBound)
      }
      if document.isScalar(key) && document.range(key).isEmpty {
        throw EditRefusal("the mapping has an empty key", at: document.range(key).lowerBound)
      }
      if isExplicitKey(key) { throw EditRefusal("the mapping has an explicit `?` key", at: document.range(key).lowerBound) }
    }
    let keyColumn = style.column(of: first.key)
    let step = style.indentStep(near: mapping)
    let lines = renderBlock(entries, indent: keyColumn, step: step, sequenceIndent: style.sequenceIndent(near: mapping))
    if let lastKey = document.keyBeforeOpenBlockScalar(in: mapping) {
      return [insertBefore(lastKey, lines, keyColumn: keyColumn, order: order)]
    }
    return [try insertAfterLastContent(lines, lastValue: lastValue, keyColumn: keyColumn, order: order)]
  }

  /// An insertion of `lines` (at `keyColumn`) before the entry of `key`: the order of a
  /// mapping's keys carries no meaning, and this is the place when nothing may follow the last
  /// entry (see `Document.keyBeforeOpenBlockScalar(in:)`). A key alone on its line gets the new
  /// lines above it, above the comment lines at its column that introduce it; a key after `- `
  /// gives its place to the first new line and moves to the next line, at the key column.
  func insertBefore(_ key: NodeID, _ lines: [String], keyColumn: Int, order: Int) -> Edit {
    let bytes = self.bytes  // one reference for the loop, not one per access
    let keyStart = document.range(key).lowerBound
    let lineStart = source.lineStart(containing: keyStart)
    let lb = style.lineBreak(near: keyStart).rawValue
    guard bytes[lineStart..<keyStart].allSatisfy({ $0 == UInt8(ascii: " ") }) else {
      let pad = String(repeating: " ", count: keyColumn)
      let text = lines.enumerated().map { $0.offset == 0 ? String($0.element.dropFirst(keyColumn)) : $0.element }
      return Edit(range: keyStart..<keyStart, replacement: text.joined(separator: lb) + lb + pad, order: order)
    }
    var at = lineStart
    while at > 0 {
      let previous = source.lineStart(containing: at - 1)
      var i = previous
      while i < at, bytes[i] == UInt8(ascii: " ") { i += 1 }
      guard i < at, bytes[i] == UInt8(ascii: "#"), i - previous == keyColumn else { break }
      at = previous
    }
    return Edit(range: at..<at, replacement: lines.map { $0 + lb }.joined(), order: order)
  }

  /// An insertion of `lines` after the last value of a block collection: after its content line
  /// and any deeper comment lines, before comments at its own level; after a block scalar's end
  /// mark (keeping a keep-chomped scalar's blank lines); refused after a block scalar that ends
  /// the file without a line break (anything appended would change its value; a mapping takes
  /// its new entries before its last entry instead, a list cannot).
  func insertAfterLastContent(_ lines: [String], lastValue: NodeID, keyColumn: Int, order: Int) throws(EditRefusal) -> Edit {
    let scalar = document.isScalar(lastValue) ? lastValue : deepestLastDescendant(lastValue)
    if let scalar, document.style(scalar).isBlockScalar {
      let end = document.range(scalar).upperBound
      let endsWithBreak = end > 0 && (bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r"))
      guard endsWithBreak else {
        throw EditRefusal("the last value is a block scalar that ends the file without a line break", at: end)
      }
      let lb = style.lineBreak(near: end - 1)
      return Edit(range: end..<end, replacement: lines.map { $0 + lb.rawValue }.joined(), order: order)
    }
    let contentEnd = document.contentEnd(lastValue)
    let lb = style.lineBreak(near: contentEnd)
    let anchor = lastInnerCommentLine(after: contentEnd, keyColumn: keyColumn) ?? contentEnd
    return insertLines(lines, afterLineOf: anchor, lineBreak: lb, order: order)
  }

  /// Comment lines right after a mapping's last content that are indented deeper than its keys
  /// belong to the nested content (a commented-out field of the last container, say): new keys go
  /// after them. Comments at the key column or left of it stay after the new keys. Returns an
  /// offset on the last such comment line.
  func lastInnerCommentLine(after contentEnd: Int, keyColumn: Int) -> Int? {
    let bytes = self.bytes  // one reference for the loop, not one per access
    var lineStart = source.nextLineStart(after: contentEnd)
    var last: Int?
    while lineStart < bytes.count {
      var i = lineStart
      while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
      let lineEnd = source.lineEnd(containing: lineStart)
      if i == lineEnd {  // blank line: look further
        let next = source.nextLineStart(after: lineStart)
        if next <= lineStart { break }
        lineStart = next
        continue
      }
      guard bytes[i] == UInt8(ascii: "#"), i - lineStart > keyColumn else { break }
      last = i
      let next = source.nextLineStart(after: lineStart)
      if next <= lineStart { break }
      lineStart = next
    }
    return last
  }

  func deepestLastDescendant(_ node: NodeID) -> NodeID? {
    var current = node
    while (document.isMapping(current) || document.isSequence(current)) && document.isBlock(current) {
      guard let last = document.lastChild(current) else { return nil }
      current = last
    }
    return document.isScalar(current) ? current : nil
  }

  /// An insertion of whole lines at the start of the line after the one holding `offset`. At a
  /// last line without a line break, the break goes first and none is added at the end.
  func insertLines(_ lines: [String], afterLineOf offset: Int, lineBreak lb: LineBreak, order: Int) -> Edit {
    let bytes = self.bytes  // one reference for the loop, not one per access
    let at = source.nextLineStart(after: offset)
    let lastLineHasBreak = at > 0 && (bytes[at - 1] == UInt8(ascii: "\n") || bytes[at - 1] == UInt8(ascii: "\r"))
    let breakFirst = at == bytes.count && !lastLineHasBreak
    let lineBreak = lb.rawValue.utf8
    var text: [UInt8] = []
    text.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + lineBreak.count })
    for line in lines {
      if breakFirst { text += lineBreak }
      text += line.utf8
      if !breakFirst { text += lineBreak }
    }
    return Edit(range: at..<at, replacement: text, order: order)
  }

  /// Rendered blocks by content and layout, kept by one worker for the editors it makes
  /// (see `init`). Not locked: a cache is used by one thread at a time, never shared (a cache
  /// shared by all workers cost a contended lock per insertion).
  public final class RenderCache: @unchecked Sendable {
    var blocks: [RenderKey: [String]] = [:]
    public init() {}
  }

  /// Render caches not in use, handed to the next file a worker takes: a directory of small
  /// files inserts the same blocks file after file, so a cache made per file rendered them
  /// again for every file (1,000 small files: 68 M of 1,397 M instructions in rendering). A
  /// cache is held by one worker at a time; the lock is taken twice per file, not per insertion.
  public final class RenderCachePool: Sendable {
    private let idle = Mutex<[RenderCache]>([])
    /// Caches kept at most (more than any machine's workers; each holds at most 4,096 blocks).
    private let limit: Int

    public init(limit: Int = 64) { self.limit = limit }

    /// Runs `body` with a cache no other caller holds meanwhile, then keeps it for the next.
    public func withCache<R, E: Error>(_ body: (RenderCache) throws(E) -> R) throws(E) -> R {
      let cache = idle.withLock { $0.popLast() } ?? RenderCache()
      defer { idle.withLock { if $0.count < limit { $0.append(cache) } } }
      return try body(cache)
    }

    /// Drops the idle caches: a long-running host may do it to give their memory back, and the
    /// fuzz target does after each input, so that LeakSanitizer sees every block freed.
    public func removeAll() {
      idle.withLock { $0.removeAll() }
    }
  }

  struct RenderKey: Hashable {
    var entries: [NewEntry]
    var indent: Int
    var step: Int
    var sequenceIndent: Int
    /// A fast digest of `entries`: hashing is the digest and the layout, equality compares all.
    var digest: Int

    init(entries: [NewEntry], indent: Int, step: Int, sequenceIndent: Int) {
      self.entries = entries
      self.indent = indent
      self.step = step
      self.sequenceIndent = sequenceIndent
      digest = EntryDigest.of(entries)
    }

    func hash(into hasher: inout Hasher) {
      hasher.combine(digest)
      hasher.combine(indent)
      hasher.combine(step)
      hasher.combine(sequenceIndent)
    }
  }

  /// Lines (without breaks) for `entries` as a block mapping at `indent`.
  func renderBlock(_ entries: [NewEntry], indent: Int, step: Int, sequenceIndent: Int) -> [String] {
    guard let renderCache else { return renderBlockUncached(entries, indent: indent, step: step, sequenceIndent: sequenceIndent) }
    let key = RenderKey(entries: entries, indent: indent, step: step, sequenceIndent: sequenceIndent)
    if let cached = renderCache.blocks[key] { return cached }
    let lines = renderBlockUncached(entries, indent: indent, step: step, sequenceIndent: sequenceIndent)
    if renderCache.blocks.count > 4096 { renderCache.blocks.removeAll() }
    renderCache.blocks[key] = lines
    return lines
  }

  /// `quote` is the style of new string values (plain where a string needs no quotes); blocks
  /// with quoted values are not cached (only whole new documents quote their values).
  func renderBlockUncached(_ entries: [NewEntry], indent: Int, step: Int, sequenceIndent: Int, quote: NodeStyle = .plain) -> [String] {
    var lines: [String] = []
    let pad = String(repeating: " ", count: indent)
    for entry in entries {
      let key = ScalarRendering.renderKey(entry.key, flow: false, json: false)
      switch entry.value {
      case .mapping(let children) where !children.isEmpty:
        lines.append(pad + key + ":")
        lines +=
          quote == .plain
          ? renderBlock(children, indent: indent + step, step: step, sequenceIndent: sequenceIndent)
          : renderBlockUncached(children, indent: indent + step, step: step, sequenceIndent: sequenceIndent, quote: quote)
      case .sequence(let items) where !items.isEmpty:
        lines.append(pad + key + ":")
        for item in items {
          lines += renderItem(
            item, dashColumn: indent + sequenceIndent, contentColumn: indent + sequenceIndent + 2, step: step,
            sequenceIndent: sequenceIndent, quote: quote)
        }
      default:
        lines.append(pad + key + ": " + ScalarRendering.render(entry.value, flow: false, json: false, quoteStyle: quote))
      }
    }
    return lines
  }

  /// Lines for one block sequence item: `- scalar`, or a mapping whose first key sits on the dash
  /// line and whose other keys align with it at `contentColumn`.
  func renderItem(
    _ item: NewValue, dashColumn: Int, contentColumn: Int, step: Int, sequenceIndent: Int, quote: NodeStyle = .plain
  ) -> [String] {
    let dash = String(repeating: " ", count: dashColumn) + "-" + String(repeating: " ", count: max(1, contentColumn - dashColumn - 1))
    guard case .mapping(let entries) = item, !entries.isEmpty else {
      return [dash + ScalarRendering.render(item, flow: false, json: false, quoteStyle: quote)]
    }
    var lines =
      quote == .plain
      ? renderBlock(entries, indent: contentColumn, step: step, sequenceIndent: sequenceIndent)
      : renderBlockUncached(entries, indent: contentColumn, step: step, sequenceIndent: sequenceIndent, quote: quote)
    lines[0] = dash + lines[0].dropFirst(contentColumn)
    return lines
  }

  /// Whether a key is written with the explicit `?` indicator.
  func isExplicitKey(_ key: NodeID) -> Bool {
    let bytes = self.bytes  // one reference for the loop, not one per access
    var i = document.range(key).lowerBound
    while i > 0 {
      let byte = bytes[i - 1]
      if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { i -= 1; continue }
      return byte == UInt8(ascii: "?")
    }
    return false
  }

  // MARK: Flow mappings

  func insertIntoFlow(_ entries: [NewEntry], mapping: NodeID, order: Int) throws(EditRefusal) -> [Edit] {
    let range = document.range(mapping)
    let open = document.contentStart(mapping)
    guard open < bytes.count, bytes[open] == UInt8(ascii: "{") else {
      throw EditRefusal("an implicit pair in a flow sequence has no braces", at: range.lowerBound)
    }
    let json = style.isJSONStyle(mapping)
    let render = { (layout: FlowLayout, indent: Int) in
      entries.map {
        ScalarRendering.renderKey($0.key, flow: true, json: json) + layout.colon
          + ScalarRendering.render($0.value, json: json, layout: layout, indent: indent)
      }
    }
    let all = document.entries(mapping)
    guard let last = all.last else { return [fillEmptyFlow(mapping, json: json, render: render, order: order)] }
    for entry in all where !document.isScalar(entry.key) {
      throw EditRefusal("the mapping has a complex key", at: document.range(entry.key).lowerBound)
    }
    return try appendToFlow(
      render, json: json, container: mapping, lastValue: last.value, lastKey: last.key, close: UInt8(ascii: "}"), order: order)
  }

  /// Renders the new entries or items for a layout, given the column they start at (0 on one line).
  typealias FlowParts = (FlowLayout, Int) -> [String]

  /// An insertion inside the brackets of an empty flow collection (`{}`, `[]`): on one line, or
  /// one part per line when the collection holding it is laid out one entry per line (a
  /// pretty-printed JSON file), the closing bracket then at the column of its key.
  func fillEmptyFlow(_ container: NodeID, json: Bool, render: FlowParts, order: Int) -> Edit {
    let open = document.contentStart(container)
    var layout = style.flowLayout(in: container, multiLine: false, json: json)
    var indent = 0
    if let parent = document.parent(container), document.isFlow(parent), style.isMultiLineFlow(parent),
      open + 1 < bytes.count, bytes[open + 1] == UInt8(ascii: "}") || bytes[open + 1] == UInt8(ascii: "]")
    {
      layout = style.flowLayout(in: parent, multiLine: true, json: json)
      let key = document.isMapping(parent) ? document.eachEntry(parent).first(where: { $0.value == container })?.key : nil
      indent = style.column(of: key ?? container)
    }
    let parts = render(layout, indent + (layout.step ?? 0))
    return Edit(range: (open + 1)..<(open + 1), replacement: ScalarRendering.join(parts, layout: layout, indent: indent), order: order)
  }

  /// Edits that add rendered entries or items after the last one of a non-empty flow collection:
  /// `, x` on one line (after a trailing comma: ` x,`); on a new line at the last entry's column
  /// when the collection spans lines, new collections in them then one entry per line too.
  func appendToFlow(_ render: FlowParts, json: Bool, container: NodeID, lastValue: NodeID, lastKey: NodeID, close: UInt8, order: Int)
    throws(EditRefusal) -> [Edit]
  {
    let bytes = self.bytes  // one reference for the loop, not one per access
    let valueEnd = document.contentEnd(lastValue)
    // What follows the last value: blanks, maybe a trailing comma, maybe a comment, then the bracket.
    var i = valueEnd
    while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
    let hasTrailingComma = i < bytes.count && bytes[i] == UInt8(ascii: ",")
    let afterComma = hasTrailingComma ? i + 1 : valueEnd
    let lineEnd = source.lineEnd(containing: valueEnd)
    let closeOnSameLine = closingBracketOnLine(close, from: afterComma, to: lineEnd)
    if !style.isMultiLineFlow(container) || closeOnSameLine {
      let layout = style.flowLayout(in: container, multiLine: false, json: json)
      let rendered = render(layout, 0).joined(separator: layout.comma)
      if hasTrailingComma {
        return [Edit(range: afterComma..<afterComma, replacement: layout.afterComma + rendered + ",", order: order)]
      }
      return [Edit(range: valueEnd..<valueEnd, replacement: layout.comma + rendered, order: order)]
    }
    // Multi-line: one entry per line at the last entry's column.
    let column = style.column(of: lastKey)
    let pad = String(repeating: " ", count: column)
    let lb = style.lineBreak(near: valueEnd)
    var layout = style.flowLayout(in: container, multiLine: true, json: json)
    layout.lineBreak = lb
    let rendered = render(layout, column)
    var edits: [Edit] = []
    var lines: [String]
    if hasTrailingComma {
      lines = rendered.map { pad + $0 + "," }
    } else {
      edits.append(Edit(range: valueEnd..<valueEnd, replacement: ",", order: order))
      lines = rendered.enumerated().map { pad + $0.element + ($0.offset < rendered.count - 1 ? "," : "") }
    }
    let at = source.nextLineStart(after: valueEnd)
    guard at < bytes.count else { throw EditRefusal("unterminated flow collection", at: document.range(container).lowerBound) }
    edits.append(Edit(range: at..<at, replacement: lines.map { $0 + lb.rawValue }.joined(), order: order))
    return edits
  }

  /// Whether the closing bracket ends the collection on the rest of this line (outside a comment).
  func closingBracketOnLine(_ close: UInt8, from start: Int, to end: Int) -> Bool {
    let bytes = self.bytes  // one reference for the loop, not one per access
    var i = start
    while i < end {
      let byte = bytes[i]
      if byte == UInt8(ascii: "#") { return false }
      if byte == close { return true }
      if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { return false }
      i += 1
    }
    return false
  }
}
