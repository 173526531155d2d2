import YAMLSource

/// Turns the requirements of a document's drafts into edits, merging requirements that build
/// the same new block, and attaches to each finding the edits that fix it.
struct Planner {
  let editor: MappingEditor
  var document: Document { editor.document }
  /// Duplicate keys per mapping, found once per plan (requirements share their mappings).
  let duplicates = DuplicateKeyCache()

  /// A handful of mappings per document: an array searched linearly, no hashing.
  final class DuplicateKeyCache {
    var found: [(mapping: NodeID, duplicate: NodeID?)] = []
  }

  func firstDuplicateKey(in mapping: NodeID) -> NodeID? {
    if let cached = duplicates.found.first(where: { $0.mapping == mapping }) { return cached.duplicate }
    let duplicate = editor.firstDuplicateKey(in: mapping)
    duplicates.found.append((mapping, duplicate))
    return duplicate
  }

  enum Outcome {
    case satisfied
    case replace(NodeID)
    case insert(mapping: NodeID, rest: ArraySlice<String>)
    case fill(value: NodeID, rest: ArraySlice<String>)
    /// Append the missing items to an existing sequence.
    case append(sequence: NodeID, items: [NewValue])
    /// Remove these items of an existing sequence.
    case remove(sequence: NodeID, items: [NodeID])
    case refused(String)
  }

  /// Where a requirement lands.
  func resolve(_ requirement: Requirement) -> Outcome {
    if requirement.kind == .remove { return resolveRemoval(requirement) }
    var mapping = document.resolved(requirement.base)
    for (i, key) in requirement.path.enumerated() {
      let isLast = i == requirement.path.count - 1
      let rest = requirement.path[i...]  // shares the path's storage
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
        return .fill(value: value, rest: requirement.path[(i + 1)...])
      }
      guard document.isMapping(value) else { return .refused("'\(key)' is not a mapping") }
      mapping = value
    }
    return .satisfied
  }

  /// Where a removal lands: nothing to do when the list (or a level above it) is absent or holds
  /// none of the items.
  func resolveRemoval(_ requirement: Requirement) -> Outcome {
    guard case .sequence(let unwanted) = requirement.value else { return .refused("nothing to remove") }
    var current = document.resolved(requirement.base)
    for (i, key) in requirement.path.enumerated() {
      guard document.isMapping(current) else { return .satisfied }
      if let duplicate = firstDuplicateKey(in: current) {
        return .refused("'\(document.string(duplicate) ?? "")' is written twice in the same mapping; fix the duplicate by hand")
      }
      guard let found = editor.lookup(current, key) else { return .satisfied }
      if !found.isLocal { return .refused("'\(key)' comes through a merge key") }
      if document.isAlias(found.value) { return .refused("'\(key)' is an alias of an anchored node") }
      current = document.resolved(found.value)
      if i < requirement.path.count - 1, document.isAliased(current) { return .refused("'\(key)' carries an anchor that an alias uses") }
    }
    guard document.isSequence(current) else {
      return document.isNull(current) ? .satisfied : .refused("'\(requirement.path.last ?? "")' is not a list")
    }
    let items = document.items(current).filter { item in unwanted.contains { satisfies(document.resolved(item), $0) } }
    return items.isEmpty ? .satisfied : .remove(sequence: current, items: items)
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
  /// wins, except that lists requested for one path are joined. Small (a few keys per level):
  /// arrays searched linearly.
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
      // Two requirements for one new list: the list holds the items of both, in order.
      if path.count == 1, case .sequence(let existing)? = nodes[index].value, case .sequence(let more) = value {
        nodes[index].value = .sequence(existing + more.filter { !existing.contains($0) })
        return
      }
      guard path.count > 1, nodes[index].value == nil else { return }
      nodes[index].children.add(path.dropFirst(), value)
    }

    var entries: [NewEntry] {
      nodes.map { NewEntry($0.key, $0.value ?? .mapping($0.children.entries)) }
    }
  }

  /// A pass's draft, as handed to `plan`. A struct, not a tuple: arrays of tuples are copied
  /// and destroyed through the runtime's generic tuple witnesses, element by element.
  struct Input {
    var passID: String
    var severity: Severity
    var draft: Draft
  }

  /// Whether unsafe fixes are applied (`--unsafe-fixes`). When they are not, an unsafe draft is
  /// still planned, so that its finding carries its fix for review, but in groups of its own:
  /// its edits are never merged into an edit that `fix` applies, and never applied.
  var applyUnsafe = false

  /// What `plan` returns: located findings with their fixes (when kept), counts, the edits to
  /// apply, and what those edits do to the document's data (for the check before writing).
  struct Plan {
    var findings: [Finding]
    /// Counts of the findings that are not fixable (exempted, unfixable).
    var counts: FindingCounts
    /// Fixable findings per pass, in first-seen order.
    var fixable: [(passID: String, count: Int)]
    /// Findings per pass whose unsafe fix is shown but not applied, in first-seen order.
    var unsafe: [(passID: String, count: Int)]
    var edits: [Edit]
    var changes: [DataChange]
  }

  /// Plans every draft of a document.
  /// With `keepFindings` false only `counts` are filled (no finding, message or fix is built).
  func plan(_ drafts: [Input], lines: Locations, keepFindings: Bool = true) -> Plan {
    // Drafts are read by index, a field at a time: iterating `drafts` copies each element, with
    // its texts' closures and its requirements (each copy retained, then released).
    let passIDs = drafts.indices.map { drafts[$0].passID }
    let initialStatuses = drafts.indices.map { drafts[$0].draft.status }
    let applicabilities = drafts.indices.map { drafts[$0].draft.applicability }
    // Drafts whose fixes are shown, not applied: planned apart from the applied ones.
    let deferred = applicabilities.map { $0 == .unsafe && !applyUnsafe }
    // Requirements of all drafts in one flat array (a draft's are `first[d]..<first[d + 1]`),
    // with their outcomes and groups beside them: no array per draft.
    var requirements: [Requirement] = []
    var first: [Int] = []
    first.reserveCapacity(drafts.count + 1)
    for index in drafts.indices {
      first.append(requirements.count)
      requirements += drafts[index].draft.requirements
    }
    first.append(requirements.count)
    // 1. Resolve every requirement; a draft with any refused requirement is not fixable.
    var outcomes: [Outcome] = []
    outcomes.reserveCapacity(requirements.count)
    var statuses: [FindingStatus] = []
    statuses.reserveCapacity(drafts.count)
    for index in drafts.indices {
      var status = initialStatuses[index]
      for r in first[index]..<first[index + 1] {
        guard status.isFixable else {
          outcomes.append(.satisfied)
          continue
        }
        let outcome = resolve(requirements[r])
        if case .refused(let reason) = outcome { status = .unfixable(reason: reason) }
        outcomes.append(outcome)
      }
      statuses.append(status)
    }
    // 2. Group the requirements of fixable drafts by the node they edit (a few groups per
    // document: an array searched linearly). `groupOf[r]` is requirement r's group, or -1.
    var groups: [Group] = []
    var groupOf = [Int](repeating: -1, count: requirements.count)
    for index in drafts.indices where statuses[index].isFixable {
      for r in first[index]..<first[index + 1] {
        let requirement = requirements[r]
        let outcome = outcomes[r]
        let key: GroupKey
        switch outcome {
        case .satisfied, .refused: continue
        case .replace(let node): key = .replace(node)
        case .insert(let mapping, _): key = .insert(mapping)
        case .fill(let value, _): key = .fill(value)
        case .append(let sequence, _): key = .append(sequence)
        case .remove(let sequence, _): key = .remove(sequence)
        }
        let group: Int
        if let found = groups.firstIndex(where: { $0.key == key && $0.deferred == deferred[index] }) {
          group = found
        } else {
          group = groups.count
          groups.append(Group(key: key, deferred: deferred[index]))
        }
        switch outcome {
        case .replace: if groups[group].replacement == nil { groups[group].replacement = requirement.value }
        case .insert(_, let rest), .fill(_, let rest): groups[group].tree.add(rest, requirement.value)
        case .append(_, let items):
          for item in items where !groups[group].items.contains(item) { groups[group].items.append(item) }
        case .remove(_, let items):
          for item in items where !groups[group].removed.contains(item) { groups[group].removed.append(item) }
        case .satisfied, .refused: break
        }
        groupOf[r] = group
      }
    }
    // The groups a draft's requirements landed in are read in place below: `groupOf[r]` for
    // its requirements r with `groupOf[r] >= 0` (a group may repeat). No array or lazy view per
    // draft: a lazy filter over a slice of `groupOf` retained and released it on every use.
    // 3. Render each group once.
    for group in groups.indices {
      do throws(EditRefusal) {
        switch groups[group].key {
        case .replace(let node):
          let value = groups[group].replacement ?? .bool(false)
          // An empty list value (`drop:`) becomes a list in the file's own style.
          if case .sequence(let items) = value, document.isNull(node) {
            groups[group].edits = try editor.replaceEmptyValue(node, withItems: items, order: -depth(node))
            groups[group].change = .replace(node, with: value)
            continue
          }
          var edit = try editor.replaceScalar(node, with: value)
          if edit.range.isEmpty { edit.replacement = Array(" ".utf8) + edit.replacement }
          groups[group].edits = [edit]
          groups[group].change = .replace(node, with: value)
        case .insert(let mapping):
          let entries = groups[group].tree.entries
          groups[group].edits = try editor.insert(entries, into: mapping, order: -depth(mapping))
          groups[group].change = .appendEntries(entries, to: mapping)
        case .fill(let value):
          let entries = groups[group].tree.entries
          groups[group].edits = try editor.replaceEmptyValue(value, with: entries, order: -depth(value))
          groups[group].change = .replace(value, with: .mapping(entries))
        case .append(let sequence):
          groups[group].edits = try editor.append(groups[group].items, to: sequence, order: -depth(sequence))
          groups[group].change = .appendItems(groups[group].items, to: sequence)
        case .remove(let sequence):
          groups[group].edits = try editor.remove(groups[group].removed, from: sequence, order: -depth(sequence))
          groups[group].change = .removeItems(groups[group].removed, from: sequence)
        }
      } catch {
        groups[group].error = error.reason
      }
    }
    // 4. Findings with their fixes. Fixable counts are gathered in a small array (a few
    // passes); the caller adds them to its totals.
    var findings: [Finding] = []
    var counts = FindingCounts()
    var fixable: [(passID: String, count: Int)] = []
    var unsafe: [(passID: String, count: Int)] = []
    for index in drafts.indices {
      var status = statuses[index]
      var fix: Fix?
      let requirementsOfDraft = first[index]..<first[index + 1]
      if status.isFixable {
        if let failed = requirementsOfDraft.lazy.compactMap({ groupOf[$0] >= 0 ? groups[groupOf[$0]].error : nil }).first {
          status = .unfixable(reason: failed)
        } else if !keepFindings {
          // Counting only: satisfied drafts are no findings; the rest are fixed by their groups.
          let grouped = requirementsOfDraft.contains { groupOf[$0] >= 0 }
          if !grouped && !requirementsOfDraft.isEmpty { continue }
          if !grouped { status = .unfixable(reason: "no automatic fix") }
        } else {
          var seen: [Int] = []
          var fixEdits: [Edit] = []
          for r in requirementsOfDraft where groupOf[r] >= 0 && !seen.contains(groupOf[r]) {
            let group = groupOf[r]
            seen.append(group)
            fixEdits += groups[group].edits
          }
          if fixEdits.isEmpty && !requirementsOfDraft.isEmpty { continue }  // already satisfied
          fix =
            fixEdits.isEmpty
            ? nil
            : Fix(
              title: drafts[index].draft.fixTitle,
              edits: fixEdits.sorted { ($0.range.lowerBound, $0.order) < ($1.range.lowerBound, $1.order) },
              applicability: applicabilities[index])
          if fix == nil { status = .unfixable(reason: "no automatic fix") }
        }
      }
      if case .fixable = status {
        if deferred[index] { Planner.count(passIDs[index], in: &unsafe) } else { Planner.count(passIDs[index], in: &fixable) }
      } else {
        counts.add(passID: passIDs[index], status: status)
      }
      guard keepFindings else { continue }
      let item = drafts[index]
      // A block collection's END mark sits at the next token: stop at its content instead.
      let range = document.range(item.draft.node).lowerBound..<document.contentEnd(item.draft.node)
      findings.append(
        Finding(
          passID: item.passID, severity: item.draft.severity ?? item.severity, message: item.draft.message, range: range,
          start: lines.location(of: range.lowerBound), end: lines.location(of: range.upperBound), status: status, fix: fix))
    }
    // 5. Edits of groups whose drafts all became unfixable are not applied.
    var used = [Bool](repeating: false, count: groups.count)
    for index in drafts.indices where initialStatuses[index].isFixable && statuses[index].isFixable && !deferred[index] {
      let requirementsOfDraft = first[index]..<first[index + 1]
      if requirementsOfDraft.allSatisfy({ groupOf[$0] < 0 || groups[groupOf[$0]].error == nil }) {
        for r in requirementsOfDraft where groupOf[r] >= 0 { used[groupOf[r]] = true }
      }
    }
    var usedEdits: [Edit] = []
    var changes: [DataChange] = []
    for group in groups.indices where used[group] {
      usedEdits += groups[group].edits
      if let change = groups[group].change { changes.append(change) }
    }
    return Plan(findings: findings, counts: counts, fixable: fixable, unsafe: unsafe, edits: usedEdits, changes: changes)
  }

  /// Adds one finding of `passID` to per-pass counts kept in first-seen order.
  static func count(_ passID: String, in counts: inout [(passID: String, count: Int)]) {
    if let slot = counts.firstIndex(where: { $0.passID == passID }) {
      counts[slot].count += 1
    } else {
      counts.append((passID, 1))
    }
  }

  /// The node a group of requirements edits, and how.
  enum GroupKey: Equatable { case insert(NodeID), fill(NodeID), replace(NodeID), append(NodeID), remove(NodeID) }

  /// Requirements that edit the same node, merged into one edit.
  struct Group {
    var key: GroupKey
    /// Holds only deferred (unsafe, not applied) requirements.
    var deferred: Bool
    var tree = Tree()
    var replacement: NewValue?
    var items: [NewValue] = []
    /// Items to remove (`.remove` groups).
    var removed: [NodeID] = []
    var edits: [Edit] = []
    var change: DataChange?
    var error: String?
    init(key: GroupKey, deferred: Bool) {
      self.key = key
      self.deferred = deferred
    }
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

extension FindingCounts {
  /// Adds what a plan counted: its unfixable and exempted findings, and its fixable and
  /// unsafe findings per pass.
  mutating func add(_ plan: Planner.Plan) {
    add(plan.counts)
    for (passID, count) in plan.fixable { fixableByPass[passID, default: 0] += count }
    for (passID, count) in plan.unsafe { unsafeByPass[passID, default: 0] += count }
  }
}
