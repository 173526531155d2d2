/// What an edit does to a document's data, in data terms: the check after editing compares the
/// re-parsed text with the original data plus exactly these changes.
public enum DataChange: Sendable, Hashable {
  /// New entries after the last entry of a mapping.
  case appendEntries([NewEntry], to: NodeID)
  /// New items after the last item of a sequence.
  case appendItems([NewValue], to: NodeID)
  /// A node (a scalar, a null, an empty flow mapping) replaced by a value.
  case replace(NodeID, with: NewValue)
}

/// Hashes a document's data for its fingerprint: kinds, scalar values, and for each scalar
/// whether it is a string or another type. Blind to layout, comments, quoting and the style of
/// collections. Fed in document order by the tree (`Document.fingerprint`) and by the event
/// stream (`YAMLParser.fingerprints`) alike, so both give the same value for the same data.
struct FingerprintWriter {
  private var hasher = ItemHasher()

  enum Marker: UInt8 {
    case nonString = 1, string, alias, sequenceStart, mappingStart, sequenceEnd, mappingEnd, aliasOfKind
  }

  init() {}

  /// A scalar: plain untagged scalars that read as null, bool or number are one type, every
  /// other scalar (quoted, block, tagged, plain text) a string; so `"x"` and `x` are the same data.
  mutating func scalar(_ value: UnsafeBufferPointer<UInt8>, plainUntagged: Bool) {
    let isString = !plainUntagged || !ScalarRendering.resolvesToNonString(value)
    hasher.marker((isString ? Marker.string : .nonString).rawValue)
    hasher.value(value)
  }

  /// An alias: the value of its anchored scalar, or the kind of its anchored collection.
  mutating func alias(scalar value: UnsafeBufferPointer<UInt8>?, kind: NodeKind?) {
    if let value {
      hasher.marker(Marker.alias.rawValue)
      hasher.value(value)
    } else {
      hasher.marker(Marker.aliasOfKind.rawValue)
      hasher.marker(kind.map { $0.rawValue + 16 } ?? 0)
    }
  }

  mutating func open(mapping: Bool) {
    hasher.marker((mapping ? Marker.mappingStart : .sequenceStart).rawValue)
  }

  mutating func close(mapping: Bool) {
    hasher.marker((mapping ? Marker.mappingEnd : .sequenceEnd).rawValue)
  }

  /// A value as written by `MappingEditor`: strings always read back as strings (they are
  /// quoted where plain text would not), booleans and integers as themselves.
  mutating func value(_ value: NewValue) {
    switch value {
    case .bool(let b): text(b ? "true" : "false", isString: false)
    case .int(let i): text(String(i), isString: false)
    case .string(let s): text(s, isString: true)
    case .mapping(let entries):
      open(mapping: true)
      self.entries(entries)
      close(mapping: true)
    case .sequence(let items):
      open(mapping: false)
      for item in items { self.value(item) }
      close(mapping: false)
    }
  }

  mutating func entries(_ entries: [NewEntry]) {
    for entry in entries {
      text(entry.key, isString: true)
      value(entry.value)
    }
  }

  private mutating func text(_ text: String, isString: Bool) {
    hasher.marker((isString ? Marker.string : .nonString).rawValue)
    if text.utf8.withContiguousStorageIfAvailable({ hasher.value($0) }) == nil {
      var copy = text
      copy.withUTF8 { hasher.value($0) }
    }
  }

  /// The fingerprint of what was written since the last call; starts over.
  mutating func finish() -> Int {
    defer { hasher = ItemHasher() }
    return hasher.finish()
  }
}

/// A 64-bit hash of a sequence of items, markers and UTF-8 values, one 8-byte word at a time
/// (xxHash64's round and avalanche). Words of text never have 0xFF in their top byte (UTF-8 has
/// no such byte), markers and value lengths do: the sequence is read back unambiguously. Fast,
/// not cryptographic: fingerprints catch our own mistakes, they do not resist forgery.
struct ItemHasher {
  private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
  private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
  private var state: UInt64 = 0x2545_F491_4F6C_DD1D

  @inline(__always) private mutating func round(_ word: UInt64) {
    let mixed = state &+ word &* ItemHasher.prime2
    state = ((mixed << 31) | (mixed >> 33)) &* ItemHasher.prime1
  }

  @inline(__always) mutating func marker(_ marker: UInt8) {
    round(0xFFFF_0000_0000_0000 | UInt64(marker))
  }

  /// UTF-8 text: its whole words, its last partial word, its length.
  @inline(__always) mutating func value(_ bytes: UnsafeBufferPointer<UInt8>) {
    let n = bytes.count
    if n > 0, let base = bytes.baseAddress {
      let raw = UnsafeRawPointer(base)
      var i = 0
      while i + 8 <= n {
        round(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
        i += 8
      }
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < n {
        tail |= UInt64(base[i]) << shift
        shift += 8
        i += 1
      }
      round(tail)
    }
    round(0xFFFE_0000_0000_0000 | UInt64(n))
  }

  func finish() -> Int {
    var h = state
    h ^= h >> 33
    h = h &* ItemHasher.prime2
    h ^= h >> 29
    h = h &* ItemHasher.prime3
    h ^= h >> 32
    return Int(bitPattern: UInt(h))
  }
}

extension Document {
  /// A fingerprint of the document's data (see `FingerprintWriter`) after `changes`: equal to
  /// the fingerprint of a text whose data is this document's with those changes made. Equal
  /// data gives equal fingerprints within a process.
  public func fingerprint(applying changes: [DataChange] = []) -> Int {
    // A handful of changes per document: small arrays searched linearly beat hashing every node.
    var appendedEntries: [(node: Int32, entries: [NewEntry])] = []
    var appendedItems: [(node: Int32, items: [NewValue])] = []
    var replaced: [(node: Int32, value: NewValue)] = []
    for change in changes {
      switch change {
      case .appendEntries(let entries, let mapping): appendedEntries.append((mapping.raw, entries))
      case .appendItems(let items, let sequence): appendedItems.append((sequence.raw, items))
      case .replace(let node, let value): replaced.append((node.raw, value))
      }
    }
    var writer = FingerprintWriter()
    values.withUnsafeBufferPointer { v in
      func bytes(_ r: NodeRecord) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: v[Int(r.value)..<Int(r.value) + Int(r.valueLength)])
      }
      // Open collections, innermost last: closed (with their appended content) once the walk
      // in document order leaves their subtree.
      var open: [Int32] = []
      open.reserveCapacity(32)  // nesting depth: one allocation, not one per doubling
      func close(_ id: Int32, _ writer: inout FingerprintWriter) {
        let isMapping = nodes[Int(id)].kind == .mapping
        if isMapping {
          for appended in appendedEntries where appended.node == id { writer.entries(appended.entries) }
        } else {
          for appended in appendedItems where appended.node == id { for item in appended.items { writer.value(item) } }
        }
        writer.close(mapping: isMapping)
      }
      var index: Int32 = 0
      let count = Int32(nodes.count)
      while index < count {
        let r = nodes[Int(index)]
        while let top = open.last, top != r.parent { close(open.removeLast(), &writer) }
        if !replaced.isEmpty, let change = replaced.first(where: { $0.node == index }) {
          writer.value(change.value)
          index = subtreeEnd(NodeID(index))
          continue
        }
        switch r.kind {
        case .scalar:
          writer.scalar(bytes(r), plainUntagged: r.style == .plain && r.flags & NodeRecord.hasTag == 0)
        case .alias:
          if r.value >= 0 {
            let target = nodes[Int(r.value)]
            writer.alias(scalar: target.kind == .scalar ? bytes(target) : nil, kind: target.kind)
          } else {
            writer.alias(scalar: nil, kind: nil)
          }
        case .sequence, .mapping:
          writer.open(mapping: r.kind == .mapping)
          open.append(index)
        }
        index += 1
      }
      while let top = open.popLast() { close(top, &writer) }
    }
    return writer.finish()
  }
}
