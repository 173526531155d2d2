/// An index of a node inside its `Document`.
public struct NodeID: Hashable, Sendable, Comparable {
  public let raw: Int32
  public init(_ raw: Int32) { self.raw = raw }
  public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.raw < rhs.raw }
}

/// The kind of a node.
public enum NodeKind: UInt8, Sendable {
  case scalar, sequence, mapping, alias
}

/// How a node is written.
public enum NodeStyle: UInt8, Sendable {
  case plain, singleQuoted, doubleQuoted, literal, folded
  case block, flow
  /// Whether this is a block scalar (`|` or `>`).
  public var isBlockScalar: Bool { self == .literal || self == .folded }
  /// Whether this is a quoted scalar.
  public var isQuoted: Bool { self == .singleQuoted || self == .doubleQuoted }
}

/// The storage of one node: 32 bytes, kept flat in its document so building a tree costs no
/// allocation per node.
struct NodeRecord: Sendable {
  /// Byte offset where the node starts, including its anchor or tag.
  var start: UInt32
  /// Byte offset of the event's end mark. For block collections this is the END event's mark,
  /// which sits at the next token, after trailing comments: use `Document.contentEnd`.
  var end: UInt32
  /// Byte offset where a collection's own text starts (after `{`/`[` for flow; the first key or
  /// dash for block collections with properties). Equals `start` otherwise.
  var openEnd: UInt32
  /// Scalars: offset of the value in the document's value arena. Aliases: the target node, or -1.
  var value: Int32
  var valueLength: UInt32
  var parent: Int32
  var firstChild: Int32
  var nextSibling: Int32
  var kind: NodeKind
  var style: NodeStyle
  var flags: UInt8

  /// The index just past the subtree of node `id` of `nodes` (a document's records in
  /// document order: descendants follow their ancestor contiguously).
  static func subtreeEnd(_ id: Int32, in nodes: UnsafeBufferPointer<NodeRecord>) -> Int32 {
    var current = id
    while current >= 0 {
      let r = nodes[Int(current)]
      if r.nextSibling >= 0 { return r.nextSibling }
      current = r.parent
    }
    return Int32(nodes.count)
  }

  static let hasAnchor: UInt8 = 1
  static let hasTag: UInt8 = 2
  static let nullTag: UInt8 = 4
  static let isAliased: UInt8 = 8
  static let plainImplicit: UInt8 = 16
}

/// One YAML document of a stream: a flat tree of nodes with exact byte ranges.
///
/// The document shares its `source` buffer; node ranges are offsets into it.
///
/// A final class rather than a struct: documents are immutable once built, and the passes hand
/// them around a lot; one reference is cheaper to copy than the buffers it holds.
public final class Document: Sendable {
  public let source: SourceBuffer
  /// The byte range of the document, from its DOCUMENT-START mark to its DOCUMENT-END mark.
  public let range: Range<Int>
  /// Whether the document starts with an explicit `---`.
  public let explicitStart: Bool
  /// Whether the document ends with an explicit `...`.
  public let explicitEnd: Bool
  /// The 0-based position of this document in its stream.
  public let index: Int
  let nodes: [NodeRecord]
  let values: [UInt8]
  let tags: [Int32: String]

  init(
    source: SourceBuffer, range: Range<Int>, explicitStart: Bool, explicitEnd: Bool, index: Int,
    nodes: [NodeRecord], values: [UInt8], tags: [Int32: String]
  ) {
    self.source = source
    self.range = range
    self.explicitStart = explicitStart
    self.explicitEnd = explicitEnd
    self.index = index
    self.nodes = nodes
    self.values = values
    self.tags = tags
  }

  /// The root node, if the document has content.
  public var root: NodeID? { nodes.isEmpty ? nil : NodeID(0) }

  /// The number of nodes.
  public var nodeCount: Int { nodes.count }

  /// Every node, in document order.
  public var allNodes: LazyMapSequence<Range<Int32>, NodeID> { (0..<Int32(nodes.count)).lazy.map(NodeID.init) }

  @inline(__always) func record(_ id: NodeID) -> NodeRecord { nodes[Int(id.raw)] }

  public func kind(_ id: NodeID) -> NodeKind { record(id).kind }
  public func style(_ id: NodeID) -> NodeStyle { record(id).style }
  public func isScalar(_ id: NodeID) -> Bool { record(id).kind == .scalar }
  public func isMapping(_ id: NodeID) -> Bool { record(id).kind == .mapping }
  public func isSequence(_ id: NodeID) -> Bool { record(id).kind == .sequence }
  public func isAlias(_ id: NodeID) -> Bool { record(id).kind == .alias }
  public func isBlock(_ id: NodeID) -> Bool { record(id).style == .block }
  public func isFlow(_ id: NodeID) -> Bool { record(id).style == .flow }
  /// Whether the node carries an anchor (`&a`).
  public func hasAnchor(_ id: NodeID) -> Bool { record(id).flags & NodeRecord.hasAnchor != 0 }
  /// Whether the node carries a tag (`!x`, `!!str`).
  public func hasTag(_ id: NodeID) -> Bool { record(id).flags & NodeRecord.hasTag != 0 }
  /// Whether an alias elsewhere in the document refers to this node.
  public func isAliased(_ id: NodeID) -> Bool { record(id).flags & NodeRecord.isAliased != 0 }
  /// The node's tag as libyaml reports it (e.g. `tag:yaml.org,2002:str`), if it has one.
  public func tag(_ id: NodeID) -> String? { tags[id.raw] }

  /// The text that parses on its own as this document: `range`, from the start of its first
  /// line when only blanks (or a byte order mark) come before it there. libyaml starts an
  /// implicit document at its first token, but that token's indentation is part of the text
  /// (` - a\n - b` cut at the dash would be another document).
  public var standaloneRange: Range<Int> {
    let start = source.lineStart(containing: range.lowerBound)
    let prefix = source.bytes[start..<range.lowerBound]
    guard prefix.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }) else { return range }
    return start..<range.upperBound
  }

  /// The byte range of the node's event(s): from its first property to its end mark.
  /// For block collections the end is the END event's mark; see `contentEnd`.
  public func range(_ id: NodeID) -> Range<Int> {
    let r = record(id)
    return Int(r.start)..<Int(r.end)
  }

  /// The byte offset where the node's own text starts, after its properties for collections.
  public func contentStart(_ id: NodeID) -> Int {
    let r = record(id)
    guard r.kind == .mapping || r.kind == .sequence else { return Int(r.start) }
    if r.style == .flow { return Int(r.openEnd) - 1 }
    // An indentless block sequence's start event covers its first `-`.
    if r.kind == .sequence, r.openEnd > r.start, source.bytes[Int(r.openEnd) - 1] == UInt8(ascii: "-") {
      return Int(r.openEnd) - 1
    }
    return r.flags & (NodeRecord.hasAnchor | NodeRecord.hasTag) != 0 ? Int(r.openEnd) : Int(r.start)
  }

  /// Where the node's text really ends: the end mark for scalars, aliases and flow
  /// collections; the content end of the last descendant for block collections.
  public func contentEnd(_ id: NodeID) -> Int {
    var current = id
    while true {
      let r = record(current)
      guard r.kind == .mapping || r.kind == .sequence, r.style == .block,
        let last = lastChild(current)
      else { return Int(r.end) }
      current = last
    }
  }

  /// The last key of a block mapping whose text ends with a block scalar that ends the file
  /// without a line break (`k: |\n  x` at the end of the file), nil for any other mapping. A
  /// line after such a scalar would change its value (`x` would read `x\n`), so new entries of
  /// the mapping go before this key instead of after it: the `MappingEditor` writes them there
  /// and the data check expects them there.
  public func keyBeforeOpenBlockScalar(in mapping: NodeID) -> NodeID? {
    guard isMapping(mapping), isBlock(mapping) else { return nil }
    var lastKey: NodeID?
    var lastValue: NodeID?
    var child = firstChild(mapping)
    while let k = child, let v = nextSibling(k) {
      lastKey = k
      lastValue = v
      child = nextSibling(v)
    }
    guard let lastKey, var current = lastValue else { return nil }
    while (isMapping(current) || isSequence(current)) && isBlock(current) {
      guard let last = lastChild(current) else { return nil }
      current = last
    }
    guard isScalar(current), style(current).isBlockScalar else { return nil }
    let end = range(current).upperBound
    let bytes = source.bytes
    guard end > 0, end <= bytes.count, bytes[end - 1] != UInt8(ascii: "\n"), bytes[end - 1] != UInt8(ascii: "\r") else { return nil }
    return lastKey
  }

  public func parent(_ id: NodeID) -> NodeID? {
    let p = record(id).parent
    return p < 0 ? nil : NodeID(p)
  }

  public func firstChild(_ id: NodeID) -> NodeID? {
    let c = record(id).firstChild
    return c < 0 ? nil : NodeID(c)
  }

  public func nextSibling(_ id: NodeID) -> NodeID? {
    let s = record(id).nextSibling
    return s < 0 ? nil : NodeID(s)
  }

  /// The children in order: items of a sequence; keys and values alternating for a mapping.
  public func children(_ id: NodeID) -> [NodeID] {
    var result: [NodeID] = []
    var child = firstChild(id)
    while let c = child {
      result.append(c)
      child = nextSibling(c)
    }
    return result
  }

  public func lastChild(_ id: NodeID) -> NodeID? {
    var child = firstChild(id)
    var last: NodeID?
    while let c = child {
      last = c
      child = nextSibling(c)
    }
    return last
  }

  /// The items of a sequence.
  public func items(_ id: NodeID) -> [NodeID] { isSequence(id) ? children(id) : [] }

  /// The entries of a mapping, walked in place (no array): for hot paths.
  public func eachEntry(_ id: NodeID) -> MappingEntries {
    MappingEntries(document: self, cursor: isMapping(id) ? firstChild(id) : nil)
  }

  /// The entries of a mapping as written (merge keys not resolved).
  public func entries(_ id: NodeID) -> [MappingEntry] {
    guard isMapping(id) else { return [] }
    var result: [MappingEntry] = []
    var child = firstChild(id)
    while let key = child, let value = nextSibling(key) {
      result.append(MappingEntry(key: key, value: value))
      child = nextSibling(value)
    }
    return result
  }

  /// The node an alias refers to (anchors are per document).
  public func aliasTarget(_ id: NodeID) -> NodeID? {
    let r = record(id)
    guard r.kind == .alias, r.value >= 0 else { return nil }
    return NodeID(r.value)
  }

  /// Follows aliases (bounded) to the node they stand for.
  public func resolved(_ id: NodeID) -> NodeID {
    var current = id
    var steps = 0
    while let target = aliasTarget(current), steps < 64 {
      current = target
      steps += 1
    }
    return current
  }

  /// Calls `body` with the decoded value of every scalar of the document, in document order
  /// (keys and values alike; an alias's target once, where it is written). One pass over the
  /// node records, no copies: for readers that ask "is this word written anywhere?" once per
  /// document instead of looking it up in every mapping.
  public func forEachScalarValue(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    nodes.withUnsafeBufferPointer { records in
      values.withUnsafeBufferPointer { v in
        for r in records where r.kind == .scalar {
          body(UnsafeBufferPointer(rebasing: v[Int(r.value)..<Int(r.value) + Int(r.valueLength)]))
        }
      }
    }
  }

  /// The scalar's value bytes, as decoded by libyaml.
  public func valueBytes(_ id: NodeID) -> ArraySlice<UInt8> {
    let r = record(id)
    guard r.kind == .scalar else { return [] }
    return values[Int(r.value)..<Int(r.value) + Int(r.valueLength)]
  }

  /// The scalar's value as a string (`nil` for non-scalars).
  public func string(_ id: NodeID) -> String? {
    guard isScalar(id) else { return nil }
    return String(decoding: valueBytes(id), as: UTF8.self)
  }

  /// Whether a scalar's value is exactly `text`.
  public func scalar(_ id: NodeID, equals text: String) -> Bool {
    let r = record(id)
    // Hot: every key lookup. Most keys differ in length (a string knows its UTF-8 count); the
    // others are compared in place, without slices or strings.
    guard r.kind == .scalar, Int(r.valueLength) == text.utf8.count else { return false }
    let length = Int(r.valueLength)
    let start = Int(r.value)
    return text.utf8.withContiguousStorageIfAvailable { key -> Bool in
      values.withUnsafeBufferPointer { v in
        var i = 0
        while i < length {
          if v[start + i] != key[i] { return false }
          i += 1
        }
        return true
      }
    } ?? valueBytes(id).elementsEqual(text.utf8)
  }

  /// Whether two scalars have the same value bytes.
  public func scalarValuesEqual(_ a: NodeID, _ b: NodeID) -> Bool {
    let ra = record(a)
    let rb = record(b)
    guard ra.kind == .scalar, rb.kind == .scalar, ra.valueLength == rb.valueLength else { return false }
    return values.withUnsafeBufferPointer { v in
      var i = 0
      while i < Int(ra.valueLength) {
        if v[Int(ra.value) + i] != v[Int(rb.value) + i] { return false }
        i += 1
      }
      return true
    }
  }

  /// Whether a scalar was written plain with no tag (so YAML resolves its type from its text).
  public func isPlainUntagged(_ id: NodeID) -> Bool {
    let r = record(id)
    return r.kind == .scalar && r.style == .plain && r.flags & NodeRecord.hasTag == 0
  }

  /// Whether the node is the merge key `<<` (plain, untagged). Asked of every key a lookup
  /// passes: the record settles it without a string.
  public func isMergeKey(_ id: NodeID) -> Bool {
    let r = record(id)
    guard r.kind == .scalar, r.valueLength == 2, r.style == .plain, r.flags & NodeRecord.hasTag == 0 else { return false }
    return values[Int(r.value)] == UInt8(ascii: "<") && values[Int(r.value) + 1] == UInt8(ascii: "<")
  }

  /// Whether the node is a null: an empty, `~` or `null` plain scalar, or tagged `!!null`.
  public func isNull(_ id: NodeID) -> Bool {
    let r = record(id)
    guard r.kind == .scalar else { return false }
    if r.flags & NodeRecord.nullTag != 0 { return true }
    guard r.style == .plain, r.flags & NodeRecord.hasTag == 0 else { return false }
    switch string(id) ?? "" {
    case "", "~", "null", "Null", "NULL": return true
    default: return false
    }
  }

  /// The scalar interpreted under the YAML core schema as a boolean, if it is one.
  public func bool(_ id: NodeID) -> Bool? {
    guard isScalar(id) else { return nil }
    if record(id).style != .plain {
      return tag(id) == "tag:yaml.org,2002:bool" ? Bool(string(id)?.lowercased() ?? "") : nil
    }
    switch string(id) ?? "" {
    case "true", "True", "TRUE": return true
    case "false", "False", "FALSE": return false
    default: return nil
    }
  }

  /// The scalar interpreted as a decimal integer, if it is one (plain, or JSON-style).
  public func integer(_ id: NodeID) -> Int? {
    guard isScalar(id), record(id).style == .plain else { return nil }
    return Int(string(id) ?? "")
  }

  /// The source text of the node's range.
  public func sourceText(_ id: NodeID) -> String { source.text(range(id)) }
}

/// A key and its value in a mapping.
public struct MappingEntry: Sendable, Hashable {
  public let key: NodeID
  public let value: NodeID
}

/// The entries of a mapping in order, read from the node records as they are iterated.
public struct MappingEntries: Sequence, IteratorProtocol {
  let document: Document
  var cursor: NodeID?

  public mutating func next() -> MappingEntry? {
    guard let key = cursor, let value = document.nextSibling(key) else { return nil }
    cursor = document.nextSibling(value)
    return MappingEntry(key: key, value: value)
  }
}

extension Document {
  /// The first byte of a scalar's value, if it has one.
  public func firstValueByte(_ id: NodeID) -> UInt8? {
    let r = record(id)
    guard r.kind == .scalar, r.valueLength > 0 else { return nil }
    return values[Int(r.value)]
  }

  /// The index just past the subtree of `id` in document order (descendants follow their
  /// ancestor contiguously).
  func subtreeEnd(_ id: NodeID) -> Int32 {
    nodes.withUnsafeBufferPointer { NodeRecord.subtreeEnd(id.raw, in: $0) }
  }

  /// A hash of the document's data (kinds, scalar values and whether each scalar is plain, child
  /// counts), blind to layout, comments and quoting of strings, and to the values of the keys
  /// named in `ignoring` wherever they appear. Equal data gives equal hashes within a process.
  ///
  /// A coarser check than `mismatch(in:applying:)` (which the fix pipeline uses), built another
  /// way: the corpus tests use it as an independent second opinion on what a fix changed.
  public func dataHash(ignoring keys: Set<String>) -> Int {
    let ignored = keys.map { Array($0.utf8) }
    var buffer: [UInt8] = []
    buffer.reserveCapacity(values.count + nodes.count * 2)
    values.withUnsafeBufferPointer { v in
      func isIgnoredKey(_ r: NodeRecord) -> Bool {
        guard r.kind == .scalar else { return false }
        let start = Int(r.value)
        let length = Int(r.valueLength)
        return ignored.contains { key in
          key.count == length && (0..<length).allSatisfy { v[start + $0] == key[$0] }
        }
      }
      var index: Int32 = 0
      let count = Int32(nodes.count)
      while index < count {
        let r = nodes[Int(index)]
        // The key of an ignored entry: skip it and its value's whole subtree.
        if r.kind == .scalar, r.parent >= 0, nodes[Int(r.parent)].kind == .mapping, r.nextSibling >= 0, isIgnoredKey(r),
          isKey(index, of: r.parent)
        {
          index = subtreeEnd(NodeID(r.nextSibling))
          continue
        }
        switch r.kind {
        case .scalar:
          let plain = r.style == .plain && r.flags & NodeRecord.hasTag == 0
          buffer.append(plain ? 1 : 2)
          buffer.append(contentsOf: UnsafeBufferPointer(rebasing: v[Int(r.value)..<Int(r.value) + Int(r.valueLength)]))
          buffer.append(0xFF)  // never inside UTF-8 text: ends the value
        case .alias:
          buffer.append(3)
          if r.value >= 0 {
            let t = nodes[Int(r.value)]
            if t.kind == .scalar {
              buffer.append(contentsOf: UnsafeBufferPointer(rebasing: v[Int(t.value)..<Int(t.value) + Int(t.valueLength)]))
            } else {
              buffer.append(t.kind.rawValue)
            }
          }
          buffer.append(0xFF)
        case .sequence, .mapping:
          var children: UInt32 = 0
          var child = r.firstChild
          while child >= 0 {
            let c = nodes[Int(child)]
            if r.kind == .mapping {
              if !isIgnoredKey(c) { children += 1 }
              child = c.nextSibling >= 0 ? nodes[Int(c.nextSibling)].nextSibling : -1
            } else {
              children += 1
              child = c.nextSibling
            }
          }
          buffer.append(r.kind == .mapping ? 5 : 4)
          withUnsafeBytes(of: children.littleEndian) { buffer.append(contentsOf: $0) }
        }
        index += 1
      }
    }
    var hasher = Hasher()
    buffer.withUnsafeBytes { hasher.combine(bytes: $0) }
    return hasher.finalize()
  }

  /// Whether node `index` is a key (an odd-numbered child) of mapping `parent`.
  func isKey(_ index: Int32, of parent: Int32) -> Bool {
    var child = nodes[Int(parent)].firstChild
    while child >= 0 {
      if child == index { return true }
      let next = nodes[Int(child)].nextSibling
      child = next >= 0 ? nodes[Int(next)].nextSibling : -1
    }
    return false
  }
}
