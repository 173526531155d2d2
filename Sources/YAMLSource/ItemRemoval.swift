extension MappingEditor {
  /// Edits that remove `removed` (items of `sequence`) and nothing else.
  ///
  /// Block sequences lose each item's whole lines (its dash line through the end of its
  /// content, with a comment at the end of its last line); comment lines between items stay.
  /// Where every item goes, the key gets ` []` after its colon, so the value stays an (empty)
  /// list rather than becoming null. Flow sequences (and JSON arrays) lose each item with the
  /// separator that joins it to its neighbours: `[a, b, c]` without `b` is `[a, c]`, without all
  /// of them `[]`.
  ///
  /// Refused: an item that shares a line with something else (block), a comment inside the text
  /// that would go (flow), an aliased sequence, and emptying a block sequence that is not a
  /// mapping value or carries an anchor or tag.
  public func remove(_ removed: [NodeID], from sequence: NodeID, order: Int = 0) throws(EditRefusal) -> [Edit] {
    let start = document.range(sequence).lowerBound
    guard document.isSequence(sequence) else { throw EditRefusal("not a sequence", at: start) }
    guard !document.hasAnchor(sequence) || !document.isAliased(sequence) else {
      throw EditRefusal("the sequence carries an anchor that an alias uses", at: start)
    }
    let items = document.items(sequence)
    let gone = items.map { removed.contains($0) }
    guard gone.contains(true) else { return [] }
    for (item, isGone) in zip(items, gone) where isGone && (document.isAliased(item) || document.isAlias(item)) {
      throw EditRefusal("the item is an alias or has one", at: document.range(item).lowerBound)
    }
    return document.isFlow(sequence)
      ? try removeFromFlow(items, gone: gone, order: order)
      : try removeFromBlock(items, gone: gone, sequence: sequence, order: order)
  }

  func removeFromBlock(_ items: [NodeID], gone: [Bool], sequence: NodeID, order: Int) throws(EditRefusal) -> [Edit] {
    let source = document.source
    let bytes = self.bytes  // one reference for the loops, not one per access
    var edits: [Edit] = []
    for (item, isGone) in zip(items, gone) where isGone {
      let itemStart = document.range(item).lowerBound
      let width = dashWidth(before: item)  // `- ` and the blanks after the dash
      guard width > 0 else { throw EditRefusal("the item has no dash of its own", at: itemStart) }
      let dash = itemStart - width
      let lineStart = source.lineStart(containing: dash)
      guard bytes[lineStart..<dash].allSatisfy({ $0 == UInt8(ascii: " ") }) else {
        throw EditRefusal("the item shares its line with other text", at: itemStart)
      }
      let end = document.contentEnd(item)
      let lineEnd = source.lineEnd(containing: end)
      if let first = bytes[end..<lineEnd].firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
        guard bytes[first] == UInt8(ascii: "#"), first > end else {
          throw EditRefusal("the item shares its line with other text", at: itemStart)
        }
      }
      edits.append(Edit(range: lineStart..<source.nextLineStart(after: end), replacement: [], order: order))
    }
    guard !gone.contains(false) else { return edits }
    // Every item goes: `key: []`, so that the value stays a list.
    let sequenceStart = document.range(sequence).lowerBound
    guard !document.hasAnchor(sequence), !document.hasTag(sequence) else {
      throw EditRefusal("the emptied sequence carries an anchor or a tag", at: sequenceStart)
    }
    guard let parent = document.parent(sequence), document.isMapping(parent), document.isBlock(parent),
      let key = document.eachEntry(parent).first(where: { $0.value == sequence })?.key
    else { throw EditRefusal("the emptied sequence is not the value of a key", at: sequenceStart) }
    var colon = document.range(key).upperBound
    while colon < bytes.count && (bytes[colon] == UInt8(ascii: " ") || bytes[colon] == UInt8(ascii: "\t")) { colon += 1 }
    guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":") else {
      throw EditRefusal("no colon after the key of the emptied sequence", at: sequenceStart)
    }
    edits.append(Edit(range: (colon + 1)..<(colon + 1), replacement: Array(" []".utf8), order: order))
    return edits
  }

  func removeFromFlow(_ items: [NodeID], gone: [Bool], order: Int) throws(EditRefusal) -> [Edit] {
    let bytes = self.bytes
    func start(_ i: Int) -> Int { document.range(items[i]).lowerBound }
    func end(_ i: Int) -> Int { document.contentEnd(items[i]) }
    var ranges: [Range<Int>] = []
    if !gone.contains(false) {
      ranges = [start(0)..<end(items.count - 1)]
    } else {
      var i = 0
      while i < items.count {
        guard gone[i] else {
          i += 1
          continue
        }
        var j = i
        while j + 1 < items.count && gone[j + 1] { j += 1 }
        // A run of removed items: up to the next kept item, or from the kept one before it.
        ranges.append(j + 1 < items.count ? start(i)..<start(j + 1) : end(i - 1)..<end(j))
        i = j + 1
      }
    }
    // A comment in the text between the items would go with it (or end up after the list).
    let removedText = items.indices.filter { gone[$0] }.map { start($0)..<end($0) }
    for range in ranges {
      var offset = range.lowerBound
      while offset < range.upperBound {
        if let item = removedText.first(where: { $0.contains(offset) }) {
          offset = item.upperBound
          continue
        }
        if bytes[offset] == UInt8(ascii: "#") { throw EditRefusal("a comment stands between the items to remove", at: offset) }
        offset += 1
      }
    }
    return ranges.map { Edit(range: $0, replacement: [], order: order) }
  }
}
