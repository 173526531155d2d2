import YAMLSource

/// What one file says about namespaces, for `namespace-limit-range`'s view across the files of
/// a run: which namespaces its LimitRanges name, and for which it reports (and adds) a missing
/// one. Files are processed in parallel, each on its own; the run then joins the indexes and
/// processes again, knowing the others, only the few files whose report depends on another
/// file (`Pipeline.coveredNamespaces`). Within one file the documents are read in order, so only
/// a LimitRange written after its Namespace (or in another part of a split file) costs a second
/// pass over that file.
public struct NamespaceIndex: Sendable, Hashable {
  /// The namespaces that a LimitRange of this file names in `metadata.namespace`.
  public var limitRanges: Set<String> = []
  /// Whether a LimitRange of this file names no namespace: it is meant for the namespace the
  /// file is applied to (`kubectl apply -n`, kustomize's `namespace:`), so it covers every
  /// Namespace of the same file (not of other files).
  public var unnamespacedLimitRange = false
  /// The namespaces whose missing LimitRange this file reports (its fix adds one).
  public var missing: Set<String> = []

  public init() {}

  /// Namespaces reported missing although a LimitRange of this file covers them.
  public var coveredInFile: Set<String> { unnamespacedLimitRange ? missing : missing.intersection(limitRanges) }

  mutating func add(_ other: NamespaceIndex) {
    limitRanges.formUnion(other.limitRanges)
    unnamespacedLimitRange = unnamespacedLimitRange || other.unnamespacedLimitRange
    missing.formUnion(other.missing)
  }
}

extension Pipeline {
  /// What `namespace-limit-range` found in one document.
  struct ObjectPlan {
    var findings: [Finding] = []
    /// Counts of the findings that are not fixable.
    var counts = FindingCounts()
    var fixable = 0
    /// Edits inside the document (new `List` items) and the changes they make to its data.
    var edits: [Edit] = []
    var changes: [DataChange] = []
    /// New documents after this one, each with the entries its text must hold.
    var newDocuments: [(edit: Edit, entries: [NewEntry])] = []
  }

  /// The file's line table, made on first use (only documents with findings need it).
  func locations(_ lines: inout Locations?, _ source: SourceBuffer) -> Locations {
    if let lines { return lines }
    let made = Locations(keepFindings && locateFindings ? LineTable(source) : nil)
    lines = made
    return made
  }

  /// The findings and edits of `namespace-limit-range` in one document; records its Namespaces
  /// and LimitRanges in `index`. Nil for a document with neither (most documents).
  func planNamespaces(
    _ editor: MappingEditor, severity: Severity, index: inout NamespaceIndex, lines: inout Locations?, source: SourceBuffer
  ) -> ObjectPlan? {
    let objects = NamespaceLimitRange.objects(in: editor)
    guard !objects.isEmpty else { return nil }
    for namespace in objects.limitRanges {
      if let namespace { index.limitRanges.insert(namespace) } else { index.unnamespacedLimitRange = true }
    }
    let document = editor.document
    let id = NamespaceLimitRange.id
    var plan = ObjectPlan()
    for (object, name, list) in objects.namespaces {
      // One LimitRange per namespace and run: not where one exists, nor for a second Namespace
      // object of the same name.
      guard !configuration.limitRange.exclude.contains(name), !coveredNamespaces.contains(name), !index.limitRanges.contains(name),
        !index.unnamespacedLimitRange, index.missing.insert(name).inserted
      else { continue }
      let table = locations(&lines, source)
      let entries = NamespaceLimitRange.limitRange(for: name, configuration: configuration)
      var status = FindingStatus.fixable
      var edits: [Edit] = []
      if let exempt = Exemptions(object: object, editor: editor, lines: table).exemption(for: id, container: nil) {
        status = exempt
      } else {
        do throws(EditRefusal) {
          if let list {
            // New items of a List go after its last item; deeper insertions at that offset first.
            var depth = 0
            var parent = document.parent(list)
            while let p = parent {
              depth += 1
              parent = document.parent(p)
            }
            edits = try editor.append([.mapping(entries)], to: list, order: -depth - 1)
            plan.edits += edits
            plan.changes.append(.appendItems([.mapping(entries)], to: list))
          } else {
            let edit = try editor.insertDocument(entries)
            edits = [edit]
            plan.newDocuments.append((edit, entries))
          }
        } catch {
          let isJSON = list == nil && document.isFlow(object) && !document.explicitStart
          let json = ScalarRendering.render(.mapping(entries), json: true, layout: .oneLine, indent: 0)
          status = .unfixable(
            reason: isJSON ? "a JSON file holds one object: add this LimitRange in a file of its own: \(json)" : error.reason)
        }
      }
      if status.isFixable { plan.fixable += 1 } else { plan.counts.add(passID: id, status: status) }
      guard keepFindings else { continue }
      let range = document.range(object).lowerBound..<document.contentEnd(object)
      let title = "Add LimitRange '\(configuration.limitRange.name)' to namespace '\(name)'"
      plan.findings.append(
        Finding(
          passID: id, severity: severity, message: "Namespace '\(name)' has no LimitRange", range: range,
          start: table.location(of: range.lowerBound), end: table.location(of: range.upperBound), status: status,
          fix: status.isFixable ? Fix(title: title, edits: edits, applicability: .safe) : nil))
    }
    return plan
  }

  /// Checks a new document's text before anything is written (see `Document.newDocumentMismatch`).
  func verifyNewDocument(_ edit: Edit, entries: [NewEntry]) -> FileError? {
    var limits = self.limits
    limits.maxBytes = max(limits.maxBytes, edit.replacement.count)
    guard let mismatch = Document.newDocumentMismatch(edit.replacement, holding: entries, limits: limits) else { return nil }
    return FileError(message: "the new document of \(NamespaceLimitRange.id) \(mismatch); nothing was written")
  }
}

extension Pipeline.Analysis {
  mutating func add(_ plan: Pipeline.ObjectPlan) {
    findings += plan.findings
    counts.add(plan.counts)
    if plan.fixable > 0 { counts.fixableByPass[NamespaceLimitRange.id, default: 0] += plan.fixable }
  }
}
