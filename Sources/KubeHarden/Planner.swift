import YAMLSource

/// Turns the requirements of a document's drafts into edits, merging requirements that build
/// the same new block, and attaches to each finding the edits that fix it.
struct Planner {
  let editor: MappingEditor
  var document: Document { editor.document }
  /// Duplicate keys per mapping, found once per plan (requirements share their mappings).
  let duplicates = DuplicateKeyCache()

  final class DuplicateKeyCache {
    var found: [NodeID: NodeID?] = [:]
  }

  func firstDuplicateKey(in mapping: NodeID) -> NodeID? {
    if let cached = duplicates.found[mapping] { return cached }
    let duplicate = editor.duplicateKeys(in: mapping).first
    duplicates.found[mapping] = .some(duplicate)
    return duplicate
  }

  enum Outcome {
    case satisfied
    case replace(NodeID)
    case insert(mapping: NodeID, rest: [String])
    case fill(value: NodeID, rest: [String])
    /// Append the missing items to an existing sequence.
    case append(sequence: NodeID, items: [NewValue])
    case refused(String)
  }

  /// Where a requirement lands.
  func resolve(_ requirement: Requirement) -> Outcome {
    var mapping = document.resolved(requirement.base)
    for (i, key) in requirement.path.enumerated() {
      let isLast = i == requirement.path.count - 1
      let rest = Array(requirement.path[i...])
      guard document.isMapping(mapping) else { return .refused("'\(requirement.path[i - 1])' is not a mapping") }
      // A mapping with a duplicate key means different things to different readers (the API
      // server keeps one, strict decoders reject it): never edit in or through it.
      if let duplicate = firstDuplicateKey(in: mapping) {
        return .refused("'\(document.string(duplicate) ?? "")' is written twice in the same mapping; fix the duplicate by hand")
      }
      guard let found = editor.lookup(mapping, key) else { return .insert(mapping: mapping, rest: rest) }
      let value = document.resolved(found.value)
      if isLast && satisfies(value, requirement.value) { return .satisfied }
      if !found.isLocal {
        if isLast { return .insert(mapping: mapping, rest: rest) }
        return .refused("'\(key)' comes through a merge key; a local '\(key)' would hide its other fields")
      }
      if document.isAlias(found.value) { return .refused("'\(key)' is an alias of an anchored node") }
      if document.isAliased(value) || document.hasAnchor(value) && document.isAliased(value) {
        return .refused("'\(key)' carries an anchor that an alias uses")
      }
      if isLast {
        if case .sequence(let wanted) = requirement.value, document.isSequence(value) {
          let missing = wanted.filter { item in !document.items(value).contains { satisfies(document.resolved($0), item) } }
          return missing.isEmpty ? .satisfied : .append(sequence: value, items: missing)
        }
        guard document.isScalar(value) else { return .refused("'\(key)' is not a scalar") }
        if case .sequence = requirement.value, !document.isNull(value) { return .refused("'\(key)' is not a list") }
        return .replace(value)
      }
      if document.isNull(value) || (document.isMapping(value) && document.isFlow(value) && document.firstChild(value) == nil) {
        return .fill(value: value, rest: Array(requirement.path[(i + 1)...]))
      }
      guard document.isMapping(value) else { return .refused("'\(key)' is not a mapping") }
      mapping = value
    }
    return .satisfied
  }

  func satisfies(_ node: NodeID, _ value: NewValue) -> Bool {
    switch value {
    case .bool(let b): return document.bool(node) == b
    case .int(let i): return document.integer(node) == i
    case .string(let s): return document.isScalar(node) && document.scalar(node, equals: s)
    case .mapping(let entries):
      // As a list item: an existing mapping that already holds every entry.
      guard document.isMapping(node), !entries.isEmpty else { return false }
      return entries.allSatisfy { entry in
        editor.lookup(node, entry.key).map { satisfies(document.resolved($0.value), entry.value) } ?? false
      }
    case .sequence(let items):
      guard document.isSequence(node) else { return false }
      return items.allSatisfy { item in document.items(node).contains { satisfies(document.resolved($0), item) } }
    }
  }

  /// A tree of keys to write, in first-requested order; the first value requested for a path
  /// wins. Small (a few keys per level): arrays searched linearly.
  struct Tree {
    struct Node {
      var key: String
      /// A value to write, or nil for a nested block built from `children`.
      var value: NewValue?
      var children = Tree()
    }
    var nodes: [Node] = []

    mutating func add(_ path: ArraySlice<String>, _ value: NewValue) {
      guard let key = path.first else { return }
      guard let index = nodes.firstIndex(where: { $0.key == key }) else {
        if path.count == 1 {
          nodes.append(Node(key: key, value: value))
        } else {
          var child = Tree()
          child.add(path.dropFirst(), value)
          nodes.append(Node(key: key, value: nil, children: child))
        }
        return
      }
      guard path.count > 1, nodes[index].value == nil else { return }
      nodes[index].children.add(path.dropFirst(), value)
    }

    var entries: [NewEntry] {
      nodes.map { NewEntry($0.key, $0.value ?? .mapping($0.children.entries)) }
    }
  }

  /// What `plan` returns: located findings with their fixes (when kept), counts, the edits to
  /// apply, and what those edits do to the document's data (for the check before writing).
  struct Plan {
    var findings: [Finding]
    var counts: FindingCounts
    var edits: [Edit]
    var changes: [DataChange]
  }

  /// Plans every draft of a document.
  /// With `keepFindings` false only `counts` are filled (no finding, message or fix is built).
  func plan(_ drafts: [(passID: String, severity: Severity, draft: Draft)], lines: Locations, keepFindings: Bool = true) -> Plan {
    // 1. Resolve every requirement; a draft with any refused requirement is not fixable.
    var outcomes: [[Outcome]] = []
    var statuses: [FindingStatus] = []
    outcomes.reserveCapacity(drafts.count)
    statuses.reserveCapacity(drafts.count)
    // Drafts are read in place (by index): copying one copies its texts' closures and arrays.
    for index in drafts.indices {
      let resolved = drafts[index].draft.status.isFixable ? drafts[index].draft.requirements.map(resolve) : []
      outcomes.append(resolved)
      var status = drafts[index].draft.status
      for outcome in resolved {
        if case .refused(let reason) = outcome { status = .unfixable(reason: reason); break }
      }
      statuses.append(status)
    }
    // 2. Group the requirements of fixable drafts by the node they edit.
    enum GroupKey: Hashable { case insert(NodeID), fill(NodeID), replace(NodeID), append(NodeID) }
    var groupOrder: [GroupKey] = []
    var trees: [GroupKey: Tree] = [:]
    var replacements: [GroupKey: NewValue] = [:]
    var appends: [GroupKey: [NewValue]] = [:]
    var draftGroups: [[GroupKey]] = Array(repeating: [], count: drafts.count)
    for index in drafts.indices where statuses[index].isFixable {
      for (requirement, outcome) in zip(drafts[index].draft.requirements, outcomes[index]) {
        let key: GroupKey
        switch outcome {
        case .satisfied, .refused: continue
        case .replace(let node):
          key = .replace(node)
          if replacements[key] == nil { replacements[key] = requirement.value }
        case .insert(let mapping, let rest):
          key = .insert(mapping)
          trees[key, default: Tree()].add(rest[...], requirement.value)
        case .fill(let value, let rest):
          key = .fill(value)
          trees[key, default: Tree()].add(rest[...], requirement.value)
        case .append(let sequence, let items):
          key = .append(sequence)
          for item in items where !appends[key, default: []].contains(item) { appends[key, default: []].append(item) }
        }
        if trees[key] != nil || replacements[key] != nil || appends[key] != nil, !groupOrder.contains(key) { groupOrder.append(key) }
        if !draftGroups[index].contains(key) { draftGroups[index].append(key) }
      }
    }
    // 3. Render each group once.
    var groupEdits: [GroupKey: [Edit]] = [:]
    var groupErrors: [GroupKey: String] = [:]
    for key in groupOrder {
      do throws(EditRefusal) {
        switch key {
        case .replace(let node):
          let value = replacements[key] ?? .bool(false)
          // An empty list value (`drop:`) becomes a list in the file's own style.
          if case .sequence(let items) = value, document.isNull(node) {
            groupEdits[key] = try editor.replaceEmptyValue(node, withItems: items, order: -depth(node))
            continue
          }
          var edit = try editor.replaceScalar(node, with: value)
          if edit.range.isEmpty { edit.replacement = Array(" ".utf8) + edit.replacement }
          groupEdits[key] = [edit]
        case .insert(let mapping):
          groupEdits[key] = try editor.insert(trees[key]?.entries ?? [], into: mapping, order: -depth(mapping))
        case .fill(let value):
          groupEdits[key] = try editor.replaceEmptyValue(value, with: trees[key]?.entries ?? [], order: -depth(value))
        case .append(let sequence):
          groupEdits[key] = try editor.append(appends[key] ?? [], to: sequence, order: -depth(sequence))
        }
      } catch {
        groupErrors[key] = error.reason
      }
    }
    // 4. Findings with their fixes.
    var findings: [Finding] = []
    var counts = FindingCounts()
    for index in drafts.indices {
      var status = statuses[index]
      var fix: Fix?
      if status.isFixable {
        if let failed = draftGroups[index].compactMap({ groupErrors[$0] }).first {
          status = .unfixable(reason: failed)
        } else if !keepFindings {
          // Counting only: satisfied drafts are no findings; the rest are fixed by their groups.
          if draftGroups[index].isEmpty && !drafts[index].draft.requirements.isEmpty { continue }
          if draftGroups[index].isEmpty { status = .unfixable(reason: "no automatic fix") }
        } else {
          let item = drafts[index]
          let fixEdits = draftGroups[index].flatMap { groupEdits[$0] ?? [] }
          if fixEdits.isEmpty && !item.draft.requirements.isEmpty { continue }  // already satisfied
          fix =
            fixEdits.isEmpty
            ? nil
            : Fix(title: item.draft.fixTitle, edits: fixEdits.sorted { ($0.range.lowerBound, $0.order) < ($1.range.lowerBound, $1.order) })
          if fix == nil { status = .unfixable(reason: "no automatic fix") }
        }
      }
      counts.add(passID: drafts[index].passID, status: status)
      guard keepFindings else { continue }
      let item = drafts[index]
      // A block collection's END mark sits at the next token: stop at its content instead.
      let range = document.range(item.draft.node).lowerBound..<document.contentEnd(item.draft.node)
      findings.append(
        Finding(
          passID: item.passID, severity: item.draft.severity ?? item.severity, message: item.draft.message, range: range,
          start: lines.location(of: range.lowerBound), end: lines.location(of: range.upperBound), status: status, fix: fix))
    }
    // Edits of groups whose drafts all became unfixable are not applied.
    var usedGroups = Set<GroupKey>()
    for index in drafts.indices where drafts[index].draft.status.isFixable && statuses[index].isFixable {
      if draftGroups[index].allSatisfy({ groupErrors[$0] == nil }) { usedGroups.formUnion(draftGroups[index]) }
    }
    var usedEdits: [Edit] = []
    var changes: [DataChange] = []
    for key in groupOrder where usedGroups.contains(key) {
      guard let edits = groupEdits[key] else { continue }
      usedEdits += edits
      switch key {
      case .replace(let node): changes.append(.replace(node, with: replacements[key] ?? .bool(false)))
      case .insert(let mapping): changes.append(.appendEntries(trees[key]?.entries ?? [], to: mapping))
      case .fill(let value): changes.append(.replace(value, with: .mapping(trees[key]?.entries ?? [])))
      case .append(let sequence): changes.append(.appendItems(appends[key] ?? [], to: sequence))
      }
    }
    return Plan(findings: findings, counts: counts, edits: usedEdits, changes: changes)
  }

  func depth(_ node: NodeID) -> Int {
    var d = 0
    var current = document.parent(node)
    while let p = current {
      d += 1
      current = document.parent(p)
    }
    return d
  }
}
