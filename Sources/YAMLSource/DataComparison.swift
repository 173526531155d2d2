/// What an edit does to a document's data, in data terms: the check after editing compares the
/// re-parsed text with the original data plus exactly these changes.
public enum DataChange: Sendable, Hashable {
  /// New entries after the last entry of a mapping (before it where nothing may follow it: see
  /// `Document.keyBeforeOpenBlockScalar(in:)`).
  case appendEntries([NewEntry], to: NodeID)
  /// New items after the last item of a sequence.
  case appendItems([NewValue], to: NodeID)
  /// A node (a scalar, a null, an empty flow mapping) replaced by a value.
  case replace(NodeID, with: NewValue)
  /// Items of a sequence removed (the sequence stays, empty when all of them go).
  case removeItems([NodeID], from: NodeID)
}

/// Why a text does not hold the data expected of it.
public struct DataMismatch: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Kind: Sendable, Hashable {
    /// libyaml rejects the text (the parser's message).
    case doesNotParse(String)
    /// The text holds no document, or more than one.
    case documents(Int)
    /// The text parses to other data.
    case data
  }
  public let kind: Kind
  public var description: String {
    switch kind {
    case .doesNotParse(let message): return "does not parse (\(message))"
    case .documents(let count): return "holds \(count) documents instead of 1"
    case .data: return "does not hold exactly the original data with the planned changes"
    }
  }
}

/// One item of a document's data in document order, as the event stream must show it.
enum ExpectedItem {
  /// A node of the original tree: a scalar, a collection's start, or an alias.
  case node(Int32)
  /// The end of a collection (original or new).
  case close(mapping: Bool)
  /// A new scalar from a change: its text (in `ExpectedData.texts`), and whether it must read
  /// as a string. An index, not the string: items stay plain values, copied without counting
  /// references, once per event.
  case new(text: Int32, isString: Bool)
  /// The start of a new collection from a change.
  case open(mapping: Bool)
}

/// The original document's data with changes made, item by item, walked from the tree as the
/// event stream is read (nothing is built up front: changes are spliced in where they land).
/// Reads the document's nodes through a pointer: this runs once per event.
struct ExpectedData {
  let nodes: UnsafeBufferPointer<NodeRecord>
  var appendedEntries: [(node: Int32, entries: [NewEntry])] = []
  /// New entries that go before a mapping's last key (the key's node), not after its last entry.
  var entriesBeforeKey: [(node: Int32, entries: [NewEntry])] = []
  var appendedItems: [(node: Int32, items: [NewValue])] = []
  var replaced: [(node: Int32, value: NewValue)] = []
  /// Removed sequence items: their subtrees are skipped.
  var removed: [Int32] = []
  /// The next node of the tree.
  var index: Int32 = 0
  /// Open collections of the tree, innermost last.
  var open: [Int32] = []
  /// Items of a change (or of closing a collection) not yet handed out, from `pendingStart`.
  var pending: [ExpectedItem] = []
  var pendingStart = 0
  /// The texts of new scalars.
  var texts: [String] = []

  /// `keyBefore` names the key before which new entries of a mapping go, if not after its end.
  init(_ nodes: UnsafeBufferPointer<NodeRecord>, changes: [DataChange], keyBefore: (NodeID) -> NodeID? = { _ in nil }) {
    self.nodes = nodes
    for change in changes {
      switch change {
      case .appendEntries(let entries, let mapping):
        if let key = keyBefore(mapping) {
          entriesBeforeKey.append((key.raw, entries))
        } else {
          appendedEntries.append((mapping.raw, entries))
        }
      case .appendItems(let items, let sequence): appendedItems.append((sequence.raw, items))
      case .replace(let node, let value): replaced.append((node.raw, value))
      case .removeItems(let items, _): removed += items.map(\.raw)
      }
    }
    open.reserveCapacity(32)
  }

  /// The next item, or nil after the last one.
  @inline(__always) mutating func next() -> ExpectedItem? {
    if pendingStart < pending.count {
      pendingStart += 1
      return pending[pendingStart - 1]
    }
    return nextFromTree()
  }

  /// The next item once the pending ones are handed out: the next node of the tree, or what
  /// closing a collection or replacing a node brings.
  private mutating func nextFromTree() -> ExpectedItem? {
    if !pending.isEmpty {
      pending.removeAll(keepingCapacity: true)
      pendingStart = 0
    }
    while true {
      if Int(index) < nodes.count {
        let r = nodes[Int(index)]
        // Leaving the subtree of the innermost open collection: its appended content, its end.
        if let top = open.last, top != r.parent {
          open.removeLast()
          if let item = close(top) { return item }
          continue
        }
        if !entriesBeforeKey.isEmpty, let i = entriesBeforeKey.firstIndex(where: { $0.node == index }) {
          // Handed out once: the key itself comes when the tree is asked again.
          expand(entriesBeforeKey.remove(at: i).entries)
          if pendingStart < pending.count {
            pendingStart += 1
            return pending[pendingStart - 1]
          }
          continue
        }
        if !replaced.isEmpty, let change = replaced.first(where: { $0.node == index }) {
          expand(change.value)
          index = NodeRecord.subtreeEnd(index, in: nodes)
          if pendingStart < pending.count {
            pendingStart += 1
            return pending[pendingStart - 1]
          }
          continue
        }
        if !removed.isEmpty && removed.contains(index) {
          index = NodeRecord.subtreeEnd(index, in: nodes)
          continue
        }
        if r.kind == .mapping || r.kind == .sequence { open.append(index) }
        index += 1
        return .node(index - 1)
      }
      guard let top = open.popLast() else { return nil }
      if let item = close(top) { return item }
    }
  }

  /// Closes a collection of the tree: its end, or first the content appended to it (queued).
  private mutating func close(_ id: Int32) -> ExpectedItem? {
    let isMapping = nodes[Int(id)].kind == .mapping
    var appended = false
    if isMapping {
      for i in appendedEntries.indices where appendedEntries[i].node == id {
        expand(appendedEntries[i].entries)
        appended = true
      }
    } else {
      for i in appendedItems.indices where appendedItems[i].node == id {
        for item in appendedItems[i].items { expand(item) }
        appended = true
      }
    }
    guard appended else { return .close(mapping: isMapping) }
    pending.append(.close(mapping: isMapping))
    pendingStart += 1
    return pending[pendingStart - 1]
  }

  /// A value as `MappingEditor` writes it: strings read back as strings, booleans and integers
  /// as themselves.
  private mutating func expand(_ value: NewValue) {
    switch value {
    case .bool(let b): new(b ? "true" : "false", isString: false)
    case .int(let i): new(String(i), isString: false)
    case .string(let s): new(s, isString: true)
    case .mapping(let entries):
      pending.append(.open(mapping: true))
      expand(entries)
      pending.append(.close(mapping: true))
    case .sequence(let items):
      pending.append(.open(mapping: false))
      for item in items { expand(item) }
      pending.append(.close(mapping: false))
    }
  }

  private mutating func new(_ text: String, isString: Bool) {
    pending.append(.new(text: Int32(texts.count), isString: isString))
    texts.append(text)
  }

  private mutating func expand(_ entries: [NewEntry]) {
    for entry in entries {
      new(entry.key, isString: true)
      expand(entry.value)
    }
  }
}
