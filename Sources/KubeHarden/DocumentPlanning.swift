import YAMLSource

/// A pass's draft with the pass and the pod it is about, for inputs whose fixes land in another
/// document than the one checked (a chart is checked on what it renders and fixed in its values
/// file). The passes do not know about such inputs: they see an ordinary document.
public struct PassDraft: Sendable {
  public var passID: String
  public var severity: Severity
  public var draft: Draft
  /// Index of the pod spec in `Pipeline.podDrafts(in:)`'s document, in `WorkloadLocator` order.
  public var pod: Int

  public init(passID: String, severity: Severity, draft: Draft, pod: Int) {
    self.passID = passID
    self.severity = severity
    self.draft = draft
    self.pod = pod
  }
}

/// The findings, counts and checked edits of one document planned by `Pipeline.plan(_:in:lines:)`.
public struct DocumentPlan: Sendable {
  public var findings: [Finding]
  public var counts: FindingCounts
  /// The edits `fix` applies, in application order.
  public var edits: [Edit]
  /// Set when the edited text failed the check before writing (nothing may be written then).
  public var problem: FileError?
}

extension Pipeline {
  /// The pod specs of one document and the drafts of every enabled pass on them, exemptions
  /// applied, exactly as `process` computes them before planning.
  public func podDrafts(in document: Document) -> (pods: [PodSpecView], drafts: [PassDraft]) {
    let editor = MappingEditor(document)
    let pods = WorkloadLocator(extraPaths: configuration.podTemplatePaths).podSpecs(in: editor)
    let table = Locations(nil)
    var drafts: [PassDraft] = []
    let keys = pods.isEmpty ? DocumentKeys.all : DocumentKeys(document)
    let passes = self.passes
    for (index, pod) in pods.enumerated() {
      forEachDraft(of: pod, editor: editor, locations: table, keys: keys, passes: passes) { id, severity, draft in
        drafts.append(PassDraft(passID: id, severity: severity, draft: draft, pod: index))
      }
    }
    return (pods, drafts)
  }

  /// Plans drafts whose nodes and requirements belong to `document` (not necessarily the one
  /// they were checked on) with the ordinary planner, and checks the edited text as `process`
  /// does before anything is written.
  public func plan(_ drafts: [PassDraft], in document: Document, lines: LineTable?) -> DocumentPlan {
    var planner = Planner(editor: MappingEditor(document))
    planner.applyUnsafe = configuration.unsafeFixes
    let inputs = drafts.map { Planner.Input(passID: $0.passID, severity: $0.severity, draft: $0.draft) }
    let planned = planner.plan(inputs, lines: Locations(lines), keepFindings: true)
    var counts = FindingCounts()
    counts.add(planned)
    var problem: FileError?
    if !planned.edits.isEmpty {
      problem = verify(document, edits: planned.edits, changes: planned.changes, passes: planned.fixable.map(\.passID))
    }
    var ordered: [Edit] = []
    do {
      ordered = try EditSet(planned.edits).sorted()
    } catch {
      problem = FileError(message: "internal error: overlapping edits; nothing was written")
    }
    let findings = planned.findings.sorted { ($0.range.lowerBound, $0.passID) < ($1.range.lowerBound, $1.passID) }
    return DocumentPlan(findings: findings, counts: counts, edits: ordered, problem: problem)
  }
}
