/// A new document after an existing one: the edit that writes it in the stream's own style, and
/// the check of its text before anything is written. Knows nothing about what the document
/// means; the caller hands the entries of its root mapping.
extension MappingEditor {
  /// An edit that inserts a new document, a block mapping holding `entries`, right after this
  /// editor's document: a `---` line, then the entries at column 0 with the document's
  /// indentation step, list indentation, string quoting and line break. It goes after the
  /// document's last content line and the deeper comment lines that belong to it (comments at
  /// column 0 stay before the next document); after the `...` line of a document that ends with
  /// one, and then ends with `...` too. At the end of a file without a final line break, the
  /// break goes first and the new document ends without one, as the file did.
  ///
  /// Refused where a second document cannot follow: a flow collection as the whole stream (a
  /// JSON file holds one value), a document without content, and a last value that is a block
  /// scalar ending the file without a line break (a line after it would change its value).
  public func insertDocument(_ entries: [NewEntry], order: Int = 0) throws(EditRefusal) -> Edit {
    guard let root = document.root, !entries.isEmpty else {
      throw EditRefusal("the document is empty", at: document.range.lowerBound)
    }
    if document.isFlow(root) && !document.explicitStart {
      throw EditRefusal("the file holds one flow (JSON) value: no document can follow it", at: document.range(root).lowerBound)
    }
    let step = style.indentStep(near: root)
    let sequenceIndent = style.sequenceIndent(near: root)
    let body = renderBlockUncached(
      entries, indent: 0, step: step, sequenceIndent: sequenceIndent, quote: style.valueQuoteStyle())
    if document.explicitEnd {
      let end = document.range.upperBound
      return insertLines(
        ["---"] + body + ["..."], afterLineOf: max(end - 1, 0), lineBreak: style.lineBreak(near: max(end - 1, 0)), order: order)
    }
    return try insertAfterLastContent(["---"] + body, lastValue: root, keyColumn: 0, order: order)
  }
}

extension LocalStyle {
  /// The quotes of the document's string values (not keys): `"` or `'` when most of them are
  /// quoted that way, else plain (strings that need quotes get them anyway). Reads every node:
  /// for small documents that get a new neighbour, not for the hot path.
  public func valueQuoteStyle() -> NodeStyle {
    var plain = 0
    var double = 0
    var single = 0
    for node in document.allNodes where document.isScalar(node) {
      guard let parent = document.parent(node), !document.isKey(node.raw, of: parent.raw) else { continue }
      switch document.style(node) {
      case .doubleQuoted: double += 1
      case .singleQuoted: single += 1
      case .plain where document.bool(node) == nil && document.integer(node) == nil && !document.isNull(node): plain += 1
      default: break
      }
    }
    if double + single <= plain { return .plain }
    return double >= single ? .doubleQuoted : .singleQuoted
  }
}

extension Document {
  /// Why `text` (a new document as `insertDocument` wrote it, with its `---`) is not exactly
  /// one document whose root is a mapping holding `entries` in order, every string reading as
  /// a string; nil when it is.
  public static func newDocumentMismatch(_ text: [UInt8], holding entries: [NewEntry], limits: ParseLimits = .default) -> DataMismatch? {
    let documents: [Document]
    do {
      documents = try YAMLParser.parse(SourceBuffer(text), limits: limits)
    } catch {
      return DataMismatch(kind: .doesNotParse(error.message))
    }
    guard documents.count == 1, let document = documents.first, let root = document.root else {
      return DataMismatch(kind: .documents(documents.count))
    }
    return document.holds(root, .mapping(entries)) ? nil : DataMismatch(kind: .data)
  }

  /// Whether `node` holds exactly `value` (mappings: the same keys in the same order).
  func holds(_ node: NodeID, _ value: NewValue) -> Bool {
    switch value {
    case .bool(let b): return bool(node) == b
    case .int(let i): return integer(node) == i
    case .string(let s):
      guard isScalar(node), !hasTag(node), string(node) == s else { return false }
      return style(node) != .plain || (bool(node) == nil && integer(node) == nil && !isNull(node))
    case .mapping(let wanted):
      guard isMapping(node) else { return false }
      let found = entries(node)
      guard found.count == wanted.count else { return false }
      return zip(found, wanted).allSatisfy { pair in
        isScalar(pair.0.key) && string(pair.0.key) == pair.1.key && holds(pair.0.value, pair.1.value)
      }
    case .sequence(let wanted):
      guard isSequence(node) else { return false }
      let found = items(node)
      return found.count == wanted.count && zip(found, wanted).allSatisfy { holds($0.0, $0.1) }
    }
  }
}
