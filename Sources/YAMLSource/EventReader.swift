internal import CLibYAML

/// Reads a YAML stream with libyaml's event parser into `Document` trees, and compares a text's
/// events with a document's data (`Document.mismatch`, the check before writing).
///
/// This is the only file that imports libyaml. Marks are converted from libyaml's Unicode-scalar
/// indexes to byte offsets with a forward cursor (events arrive in source order), so the
/// conversion costs nothing for ASCII files and one pass over the bytes otherwise.
public enum YAMLParser {
  /// Parses every document of `source`.
  public static func parse(_ source: SourceBuffer, limits: ParseLimits = .default) throws(YAMLError) -> [Document] {
    var documents: [Document] = []
    try forEachDocument(source, limits: limits) { documents.append($0) }
    return documents
  }

  /// Parses `source` and hands each document to `body` as soon as it is complete, so that
  /// only one document's tree is alive at a time.
  public static func forEachDocument(
    _ source: SourceBuffer, limits: ParseLimits = .default, _ body: (Document) throws(YAMLError) -> Void
  ) throws(YAMLError) {
    var reader = Reader(source: source, limits: limits)
    try events(of: source, limits: limits) { (event) throws(YAMLError) in try reader.handle(&event, body) }
  }

  /// Runs libyaml over `source` after the size and encoding checks and hands every event to
  /// `handle` until the end of the stream; libyaml's errors become located `YAMLError`s. The
  /// one event loop of the tree reader and of data comparison (`Document.mismatch`).
  static func events(
    of source: SourceBuffer, limits: ParseLimits, _ handle: (inout yaml_event_t) throws(YAMLError) -> Void
  ) throws(YAMLError) {
    if source.count > limits.maxBytes {
      throw YAMLError(line: 1, column: 1, message: "file is \(source.count) bytes, larger than the limit of \(limits.maxBytes) bytes")
    }
    try checkEncoding(source)
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) != 0 else {
      throw YAMLError(line: 1, column: 1, message: "libyaml could not allocate a parser")
    }
    defer { yaml_parser_delete(&parser) }
    var failure: YAMLError?
    withInput(source.bytes) { base, n in
      yaml_parser_set_input_string(&parser, base, n)
      var event = yaml_event_t()
      while true {
        guard yaml_parser_parse(&parser, &event) != 0 else {
          failure = error(of: parser, in: source)
          return
        }
        defer { yaml_event_delete(&event) }
        do throws(YAMLError) {
          switch event.type {
          case YAML_STREAM_START_EVENT:
            let encoding = event.data.stream_start.encoding
            if encoding != YAML_UTF8_ENCODING && encoding != YAML_ANY_ENCODING {
              throw YAMLError(line: 1, column: 1, message: "only UTF-8 input is supported; convert the file to UTF-8")
            }
          case YAML_STREAM_END_EVENT:
            return
          default:
            try handle(&event)
          }
        } catch {
          failure = error
          return
        }
      }
    }
    if let failure { throw failure }
  }

  /// An anchor's name as libyaml reports it (a C string).
  static func anchorName(_ anchor: UnsafeMutablePointer<UInt8>) -> [UInt8] {
    Array(UnsafeBufferPointer(start: anchor, count: strlen(anchor)))
  }

  /// Runs libyaml over the bytes and counts events, building nothing: the throughput floor.
  public static func scanEvents(_ bytes: [UInt8]) -> Int {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) != 0 else { return -1 }
    defer { yaml_parser_delete(&parser) }
    var count = 0
    withInput(bytes) { base, n in
      yaml_parser_set_input_string(&parser, base, n)
      var event = yaml_event_t()
      while yaml_parser_parse(&parser, &event) != 0 {
        count += 1
        let done = event.type == YAML_STREAM_END_EVENT
        yaml_event_delete(&event)
        if done { break }
      }
    }
    return count
  }

  static func withInput<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    if bytes.isEmpty {
      var dummy: UInt8 = 0
      return body(&dummy, 0)
    }
    return bytes.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
  }

  /// Rejects inputs that are not UTF-8 text before libyaml sees them, with a clear message.
  static func checkEncoding(_ source: SourceBuffer) throws(YAMLError) {
    let b = source.bytes
    if b.count >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)) {
      throw YAMLError(line: 1, column: 1, message: "UTF-16 input is not supported; convert the file to UTF-8")
    }
    if b.count >= 2 && ((b[0] == 0 && b[1] != 0) || (b[0] != 0 && b[1] == 0)) && b.count % 2 == 0 {
      throw YAMLError(line: 1, column: 1, message: "the file looks like UTF-16 without a byte order mark; convert it to UTF-8")
    }
    if let nul = b.fastIndex(of: 0) {
      let location = LineTable(source).location(of: nul)
      throw YAMLError(line: location.line, column: location.column, message: "the file contains a NUL byte; it is binary, not YAML text")
    }
  }
}

/// An append-only buffer of plain values (no references: nothing is released) for the tree
/// reader, reused document after document: one append per event without an array's
/// copy-on-write and uniqueness checks (callgrind: 7.5 M fewer instructions per 1.6 MB).
final class GrowableBuffer<Element> {
  private var base: UnsafeMutablePointer<Element>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int) {
    precondition(_isPOD(Element.self), "GrowableBuffer holds plain values only")
    self.capacity = max(16, capacity)
    base = .allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  @inline(__always) func append(_ element: Element) {
    if count == capacity { grow(to: count + 1) }
    (base + count).initialize(to: element)
    count += 1
  }

  func append(contentsOf elements: UnsafeBufferPointer<Element>) {
    guard let source = elements.baseAddress, !elements.isEmpty else { return }
    if count + elements.count > capacity { grow(to: count + elements.count) }
    (base + count).initialize(from: source, count: elements.count)
    count += elements.count
  }

  @inline(__always) subscript(index: Int) -> Element {
    get {
      precondition(index >= 0 && index < count, "index out of range")
      return base[index]
    }
    set {
      precondition(index >= 0 && index < count, "index out of range")
      base[index] = newValue
    }
  }

  func removeAll() { count = 0 }

  /// The elements, as an array of exactly their size.
  var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

  private func grow(to minimum: Int) {
    let newCapacity = max(capacity * 2, minimum)
    let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
    grown.moveInitialize(from: base, count: count)
    base.deallocate()
    base = grown
    capacity = newCapacity
  }
}

/// Converts libyaml marks (Unicode-scalar indexes) to byte offsets, moving forward only.
private struct MarkCursor {
  let bytes: [UInt8]
  let base: Int
  let ascii: Bool
  var scalar = 0
  var byte: Int

  init(bytes: [UInt8], bomLength: Int) {
    self.bytes = bytes
    self.base = bomLength
    self.byte = bomLength
    self.ascii = bytes.isASCII(from: bomLength)
  }

  mutating func offset(_ index: Int) -> Int {
    if ascii { return min(base + index, bytes.count) }
    if index < scalar { scalar = 0; byte = base }
    let n = bytes.count
    while scalar < index && byte < n {
      let lead = bytes[byte]
      byte += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
      scalar += 1
    }
    return min(byte, n)
  }
}

private struct Reader {
  let source: SourceBuffer
  let limits: ParseLimits
  var cursor: MarkCursor

  // The document being built, in buffers reused document after document.
  let nodes = GrowableBuffer<NodeRecord>(capacity: 1024)
  let values = GrowableBuffer<UInt8>(capacity: 16 << 10)
  var tags: [Int32: String] = [:]
  var anchors: [[UInt8]: Int32] = [:]
  /// Open collections: node id and its last child so far.
  var stack: [(id: Int32, lastChild: Int32)] = []
  var documentStart = 0
  var explicitStart = false
  var documentIndex = 0

  init(source: SourceBuffer, limits: ParseLimits) {
    self.source = source
    self.limits = limits
    self.cursor = MarkCursor(bytes: source.bytes, bomLength: source.hasBOM ? 3 : 0)
  }

  /// Builds the tree from one event (stream events are handled by `YAMLParser.events`).
  mutating func handle(_ event: inout yaml_event_t, _ body: (Document) throws(YAMLError) -> Void) throws(YAMLError) {
    let start = cursor.offset(Int(event.start_mark.index))
    let end = cursor.offset(Int(event.end_mark.index))
    switch event.type {
    case YAML_DOCUMENT_START_EVENT:
      nodes.removeAll()
      values.removeAll()
      tags = [:]
      anchors = [:]
      stack.removeAll(keepingCapacity: true)
      documentStart = start
      explicitStart = event.data.document_start.implicit == 0
    case YAML_DOCUMENT_END_EVENT:
      // Exact-size copies: the document keeps no growth slack, and the reader's buffers are
      // reused by the next document.
      let document = Document(
        source: source, range: documentStart..<max(documentStart, end), explicitStart: explicitStart,
        explicitEnd: event.data.document_end.implicit == 0, index: documentIndex,
        nodes: nodes.array, values: values.array, tags: tags)
      documentIndex += 1
      try body(document)
    case YAML_SCALAR_EVENT:
      let scalar = event.data.scalar
      let style: NodeStyle
      switch scalar.style {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
      case YAML_LITERAL_SCALAR_STYLE: style = .literal
      case YAML_FOLDED_SCALAR_STYLE: style = .folded
      default: style = .plain
      }
      let valueOffset = Int32(values.count)
      if let pointer = scalar.value, scalar.length > 0 {
        values.append(contentsOf: UnsafeBufferPointer(start: pointer, count: scalar.length))
      }
      var flags: UInt8 = scalar.plain_implicit != 0 ? NodeRecord.plainImplicit : 0
      let id = try append(
        NodeRecord(
          start: UInt32(start), end: UInt32(end), openEnd: UInt32(start), value: valueOffset,
          valueLength: UInt32(scalar.length), parent: -1, firstChild: -1, nextSibling: -1,
          kind: .scalar, style: style, flags: 0), anchor: scalar.anchor, tag: scalar.tag, flags: &flags)
      _ = id
    case YAML_ALIAS_EVENT:
      var target: Int32 = -1
      if let anchor = event.data.alias.anchor {
        let name = YAMLParser.anchorName(anchor)
        if let found = anchors[name] {
          target = found
          nodes[Int(found)].flags |= NodeRecord.isAliased
        }
      }
      var flags: UInt8 = 0
      _ = try append(
        NodeRecord(
          start: UInt32(start), end: UInt32(end), openEnd: UInt32(start), value: target, valueLength: 0,
          parent: -1, firstChild: -1, nextSibling: -1, kind: .alias, style: .plain, flags: 0),
        anchor: nil, tag: nil, flags: &flags)
    case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
      let isMapping = event.type == YAML_MAPPING_START_EVENT
      let flow: Bool
      let anchor: UnsafeMutablePointer<UInt8>?
      let tag: UnsafeMutablePointer<UInt8>?
      if isMapping {
        flow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
        anchor = event.data.mapping_start.anchor
        tag = event.data.mapping_start.tag
      } else {
        flow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
        anchor = event.data.sequence_start.anchor
        tag = event.data.sequence_start.tag
      }
      if stack.count >= limits.maxDepth {
        let location = LineTable(source).location(of: start)
        throw YAMLError(line: location.line, column: location.column, message: "collections nested deeper than \(limits.maxDepth) levels")
      }
      var flags: UInt8 = 0
      let id = try append(
        NodeRecord(
          start: UInt32(start), end: UInt32(end), openEnd: UInt32(end), value: 0, valueLength: 0,
          parent: -1, firstChild: -1, nextSibling: -1, kind: isMapping ? .mapping : .sequence,
          style: flow ? .flow : .block, flags: 0), anchor: anchor, tag: tag, flags: &flags)
      stack.append((id, -1))
    case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
      if let open = stack.popLast() {
        nodes[Int(open.id)].end = UInt32(end)
      }
    default:
      break
    }
  }

  /// Appends a node under the innermost open collection.
  mutating func append(
    _ record: NodeRecord, anchor: UnsafeMutablePointer<UInt8>?, tag: UnsafeMutablePointer<UInt8>?, flags: inout UInt8
  ) throws(YAMLError) -> Int32 {
    if nodes.count >= limits.maxNodesPerDocument {
      throw YAMLError(line: 1, column: 1, message: "a document holds more than \(limits.maxNodesPerDocument) nodes")
    }
    var record = record
    let id = Int32(nodes.count)
    if let anchor {
      flags |= NodeRecord.hasAnchor
      anchors[YAMLParser.anchorName(anchor)] = id
    }
    if let tag {
      flags |= NodeRecord.hasTag
      let text = String(decoding: UnsafeBufferPointer(start: tag, count: strlen(tag)), as: UTF8.self)
      if text == "tag:yaml.org,2002:null" { flags |= NodeRecord.nullTag }
      tags[id] = text
    }
    record.flags = flags
    if let top = stack.last {
      record.parent = top.id
      if top.lastChild >= 0 {
        nodes[Int(top.lastChild)].nextSibling = id
      } else {
        nodes[Int(top.id)].firstChild = id
      }
      stack[stack.count - 1].lastChild = id
    }
    nodes.append(record)
    return id
  }
}

extension YAMLParser {
  /// A located error from libyaml's parser state.
  fileprivate static func error(of parser: yaml_parser_t, in source: SourceBuffer) -> YAMLError {
    let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
    let context = parser.context.map { String(cString: $0) }
    var message = context.map { "\($0): \(problem)" } ?? problem
    if parser.error == YAML_READER_ERROR {
      var offset = min(Int(parser.problem_offset), source.count)
      // libyaml points at the bad trailing byte: point at the character it belongs to.
      if problem.contains("trailing") {
        while offset > 0 && source.bytes[offset - 1] & 0xC0 == 0x80 { offset -= 1 }
        if offset > 0 && source.bytes[offset - 1] >= 0xC0 { offset -= 1 }
      }
      let location = LineTable(source).location(of: offset)
      if problem.contains("invalid") || problem.contains("UTF") { message = "not valid UTF-8: \(problem)" }
      return YAMLError(line: location.line, column: location.column, message: message)
    }
    // Two libyaml messages that say little about their usual cause.
    let lineStart = LineTable(source).offset(ofLine: Int(parser.problem_mark.line) + 1)
    let line = source.bytes[lineStart..<source.lineEnd(containing: lineStart)]
    if problem == "found character that cannot start any token", line.prefix(while: { $0 == 0x20 || $0 == 0x09 }).contains(0x09) {
      message += " (a tab in the indentation: YAML indents with spaces only)"
    } else if problem.contains("could not find expected ':'") || problem.contains("mapping values are not allowed"),
      Int(parser.problem_mark.column) > 1024
    {
      message += " (a key longer than 1024 characters: YAML's limit for implicit keys; shorten it or use an explicit '? ' key)"
    }
    return YAMLError(
      line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1, message: message)
  }
}

extension Document {
  /// Whether `text` is exactly one YAML document whose data is this document's data with
  /// `changes` made: the same kinds in the same order, every scalar with the same value and
  /// type (a plain untagged scalar that reads as null, bool or number is not a string, every
  /// other scalar is; so `"x"` and `x` are the same data, `"true"` and `true` are not), aliases
  /// to the same values, and each change exactly where it was planned. Blind to layout,
  /// comments and quoting that keeps a value's type. Returns nil when the data is as expected.
  ///
  /// One libyaml pass over `text`, compared event by event with this document's tree as it
  /// goes (no tree is built, nothing is hashed); stops at the first difference.
  public func mismatch(in text: SourceBuffer, applying changes: [DataChange] = [], limits: ParseLimits = .default) -> DataMismatch? {
    nodes.withUnsafeBufferPointer { nodes in
      values.withUnsafeBufferPointer { values in
        let expected = ExpectedData(nodes, changes: changes, keyBefore: keyBeforeOpenBlockScalar(in:))
        var comparer = DataComparer(nodes: nodes, values: values, expected: expected)
        do throws(YAMLError) {
          // After the first difference the rest is only parsed: a text that does not parse is
          // reported as such, whatever came first.
          try YAMLParser.events(of: text, limits: limits) { (event) throws(YAMLError) in
            if comparer.mismatch == nil { _ = comparer.accept(&event) }
          }
        } catch {
          return DataMismatch(kind: .doesNotParse("line \(error.line), column \(error.column): \(error.message)"))
        }
        if let mismatch = comparer.mismatch { return mismatch }
        if comparer.documents != 1 { return DataMismatch(kind: .documents(comparer.documents)) }
        return nil
      }
    }
  }
}

/// Compares libyaml's events of a text with the expected data, event by event.
struct DataComparer {
  let nodes: UnsafeBufferPointer<NodeRecord>
  let values: UnsafeBufferPointer<UInt8>
  var expected: ExpectedData
  var documents = 0
  var mismatch: DataMismatch?
  /// Anchors seen in the text: a scalar's value, or a collection's kind.
  var anchors: [[UInt8]: (value: [UInt8]?, kind: NodeKind)] = [:]

  init(nodes: UnsafeBufferPointer<NodeRecord>, values: UnsafeBufferPointer<UInt8>, expected: ExpectedData) {
    self.nodes = nodes
    self.values = values
    self.expected = expected
  }

  /// The value bytes of a scalar record.
  func value(_ r: NodeRecord) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(rebasing: values[Int(r.value)..<Int(r.value) + Int(r.valueLength)])
  }

  /// Checks one event; false (with `mismatch` set) at the first difference.
  mutating func accept(_ event: inout yaml_event_t) -> Bool {
    switch event.type {
    case YAML_DOCUMENT_START_EVENT:
      documents += 1
      if documents > 1 { return fail(.documents(documents)) }
    case YAML_DOCUMENT_END_EVENT:
      if expected.next() != nil { return fail(.data) }
    case YAML_SCALAR_EVENT:
      let scalar = event.data.scalar
      let value = UnsafeBufferPointer(start: scalar.value, count: scalar.length)
      let plainUntagged = scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nil
      guard matchesScalar(value, plainUntagged: plainUntagged) else { return fail(.data) }
      if let anchor = scalar.anchor { anchors[YAMLParser.anchorName(anchor)] = (Array(value), .scalar) }
    case YAML_ALIAS_EVENT:
      guard case .node(let id) = expected.next(), nodes[Int(id)].kind == .alias else { return fail(.data) }
      let target = event.data.alias.anchor.flatMap { anchors[YAMLParser.anchorName($0)] }
      let want = nodes[Int(id)].value
      if want >= 0 {
        let t = nodes[Int(want)]
        if t.kind == .scalar {
          guard let found = target?.value, found.elementsEqual(value(t)) else { return fail(.data) }
        } else {
          guard let target, target.value == nil, target.kind == t.kind else { return fail(.data) }
        }
      } else {
        guard target == nil else { return fail(.data) }
      }
    case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
      let isMapping = event.type == YAML_MAPPING_START_EVENT
      switch expected.next() {
      case .node(let id):
        guard nodes[Int(id)].kind == (isMapping ? .mapping : .sequence) else { return fail(.data) }
      case .open(let mapping):
        guard mapping == isMapping else { return fail(.data) }
      default:
        return fail(.data)
      }
      let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
      if let anchor { anchors[YAMLParser.anchorName(anchor)] = (nil, isMapping ? .mapping : .sequence) }
    case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
      guard case .close(let mapping) = expected.next(), mapping == (event.type == YAML_MAPPING_END_EVENT) else { return fail(.data) }
    default:
      break
    }
    return true
  }

  /// Whether a scalar of the text is the next expected item: the same value and type.
  mutating func matchesScalar(_ value: UnsafeBufferPointer<UInt8>, plainUntagged: Bool) -> Bool {
    func isString(_ bytes: UnsafeBufferPointer<UInt8>, plainUntagged: Bool) -> Bool {
      !plainUntagged || !ScalarRendering.resolvesToNonString(bytes)
    }
    func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
      a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }
    switch expected.next() {
    case .node(let id):
      let r = nodes[Int(id)]
      guard r.kind == .scalar else { return false }
      let original = self.value(r)
      guard equal(original, value) else { return false }
      let originalPlainUntagged = r.style == .plain && r.flags & NodeRecord.hasTag == 0
      // Same value, same style class: same type, without asking what the text means.
      return originalPlainUntagged == plainUntagged
        || isString(original, plainUntagged: originalPlainUntagged) == isString(value, plainUntagged: plainUntagged)
    case .new(let text, let wantString):
      var text = expected.texts[Int(text)]
      return text.withUTF8 { equal($0, value) } && isString(value, plainUntagged: plainUntagged) == wantString
    default:
      return false
    }
  }

  private mutating func fail(_ kind: DataMismatch.Kind) -> Bool {
    mismatch = DataMismatch(kind: kind)
    return false
  }
}
