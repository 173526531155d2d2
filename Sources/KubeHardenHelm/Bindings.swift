import KubeHarden
import YAMLSource

/// Which nodes of a rendered manifest came from values, and from which values path.
struct Bindings {
  let document: Document
  /// Values chunks in the document's offsets, by start.
  let byStart: [Int: RenderedText.Chunk]
  let chunks: [RenderedText.Chunk]

  init(document: Document, rendered: RenderedText, base: Int) {
    self.document = document
    let end = base + document.source.count
    var byStart: [Int: RenderedText.Chunk] = [:]
    var chunks: [RenderedText.Chunk] = []
    for chunk in rendered.chunks where chunk.range.lowerBound >= base && chunk.range.upperBound <= end {
      let shifted = RenderedText.Chunk(
        range: (chunk.range.lowerBound - base)..<(chunk.range.upperBound - base), path: chunk.path, kind: chunk.kind,
        column: chunk.column)
      if byStart[shifted.range.lowerBound] == nil { byStart[shifted.range.lowerBound] = shifted }
      chunks.append(shifted)
    }
    self.byStart = byStart
    self.chunks = chunks
  }

  /// The values path whose content a node is: a value placed whole (`{}`, a flow value, a
  /// printed scalar), or a block mapping whose entries `toYaml` placed.
  func path(ofValue node: NodeID) -> [String]? {
    let start = document.range(node).lowerBound
    if let chunk = byStart[start], chunk.kind != .entry && chunk.kind != .listTail { return chunk.path }
    if document.isSequence(node) && document.isBlock(node) {
      // A block list written by the template that a list from values continues (`- item`
      // lines, then `{{- toYaml .Values.x | nindent N }}`): new items go to that list. The
      // values list's items start at the list's own column (an inner list has another).
      let column = self.column(start)
      let end = document.contentEnd(node)
      for chunk in chunks where start < chunk.range.lowerBound && chunk.range.lowerBound <= end {
        switch chunk.kind {
        case .listTail where chunk.column == column: return chunk.path
        case .node
        where self.column(chunk.range.lowerBound) == column && document.source.bytes[chunk.range.lowerBound] == UInt8(ascii: "-"):
          return chunk.path
        default: continue
        }
      }
    }
    guard document.isMapping(node) else { return nil }
    for entry in document.eachEntry(node) {
      if let chunk = byStart[document.range(entry.key).lowerBound], chunk.kind == .entry { return Array(chunk.path.dropLast()) }
    }
    return nil
  }

  /// Bytes from the start of the line to `offset`.
  func column(_ offset: Int) -> Int { offset - document.source.lineStart(containing: offset) }

  /// The values path where `requirement` lands: the path of the first mapping along it that
  /// values fill, with the rest of the requirement's path; nil when the template writes that
  /// part itself.
  func valuesPath(_ requirement: Requirement, editor: MappingEditor) -> [String]? {
    var node = document.resolved(requirement.base)
    let path = requirement.path
    if let bound = self.path(ofValue: node) { return bound + path }
    for (j, key) in path.enumerated() {
      guard document.isMapping(node), let found = editor.lookup(node, key), found.isLocal else { return nil }
      if let chunk = byStart[document.range(found.key).lowerBound], chunk.kind == .entry { return chunk.path + path[(j + 1)...] }
      let value = document.resolved(found.value)
      if let bound = self.path(ofValue: value) {
        if !document.isMapping(value) && j < path.count - 1 && !(document.isScalar(value) && document.isNull(value)) { return nil }
        return bound + path[(j + 1)...]
      }
      node = value
    }
    return nil
  }

  /// The values path of the innermost values chunk holding `node`, if any.
  func valuesPath(of node: NodeID) -> [String]? {
    let offset = document.range(node).lowerBound
    var best: RenderedText.Chunk?
    for chunk in chunks where chunk.range.contains(offset) {
      if best == nil || chunk.range.count < best!.range.count { best = chunk }
    }
    return best?.path
  }

  /// The deepest node of the manifest along the requirement's path (for locating a manual finding).
  func deepestNode(_ requirement: Requirement, editor: MappingEditor) -> NodeID {
    var node = document.resolved(requirement.base)
    var located = requirement.base
    for key in requirement.path {
      guard document.isMapping(node), let found = editor.lookup(node, key) else { break }
      located = found.key
      node = document.resolved(found.value)
    }
    return located
  }
}
