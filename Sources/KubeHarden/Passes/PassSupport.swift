import YAMLSource

/// Why a container's privileges are left alone (`PodEvidence.needsPrivileges`), for messages.
enum NodeAgent {
  static func reason(_ container: ContainerView, _ context: PassContext) -> String {
    let items = context.evidence.needsPrivileges(container)
    return "\(context.describe(Array(items.prefix(2)))): a node agent cannot be made unprivileged by an edit (see privileged-workload)"
  }
}

/// Fields the API server rejects on a Windows pod (`spec.os.name: windows`).
enum WindowsRules {
  static func skipped(_ field: String, _ pod: PodSpecView, node: NodeID) -> Draft {
    Draft(
      message: "\(pod.label) is a Windows pod: securityContext.\(field) is not written",
      node: node, status: .unfixable(reason: "the API server rejects securityContext.\(field) on Windows pods"), severity: .note)
  }
}

extension Pass {
  /// The drafts of a pass that wants one boolean in every container's `securityContext`.
  ///
  /// An explicit `field: !desired` is the workload's choice: its flip is unsafe, and so is a new
  /// value on a container that explicitly chose privilege or root. A container whose pod uses
  /// the host, or that adds powerful capabilities, gets no new value at all (`privileged-workload`
  /// reports it once). `whenAbsent` is the severity of a finding for an absent field (`.note`
  /// where the API default is already the secure value).
  func containerBoolean(
    _ pod: PodSpecView, context: PassContext, field: String, desired: Bool, whenAbsent: Severity? = nil,
    problem: @escaping @Sendable (ContainerView, Bool?) -> String, blocker: (ContainerView) -> String? = { _ in nil }
  ) -> [Draft] {
    var drafts: [Draft] = []
    let path = ["securityContext", field]
    for container in pod.containers {
      // A field written twice means different things to different readers: report, never guess.
      if let securityContext = context.value(container.node, ["securityContext"]), context.document.isMapping(securityContext),
        context.editor.isDuplicated(field, in: securityContext)
      {
        drafts.append(
          Draft(
            message: "\(container.label) sets securityContext.\(field) twice", node: context.locate(container.node, path),
            status: .unfixable(reason: "'\(field)' is written twice in the same mapping; fix the duplicate by hand")))
        continue
      }
      let current = context.bool(container.node, path)
      guard current != desired else { continue }
      let node = context.locate(container.node, path)
      if pod.isWindows {
        drafts.append(WindowsRules.skipped(field, pod, node: node))
        continue
      }
      guard let applicability = context.evidence.applicability(forNewSettingOn: container) else {
        // A node agent keeps its settings, but an explicit insecure value is still reported.
        if current != nil {
          drafts.append(
            Draft(
              message: problem(container, current), node: node,
              status: .unfixable(reason: "kept: \(NodeAgent.reason(container, context))")))
        }
        continue
      }
      var status: FindingStatus = .fixable
      if let reason = container.sharedReason { status = .unfixable(reason: reason) }
      if let reason = blocker(container) { status = .unfixable(reason: reason) }
      // An explicit `field: !desired` is the workload's choice: flipping it is unsafe.
      drafts.append(
        Draft(
          message: problem(container, current), node: node, status: status,
          requirements: [Requirement(base: container.node, path: path, value: .bool(desired))],
          fixTitle: "Set securityContext.\(field): \(desired)", severity: current == nil ? whenAbsent : nil,
          applicability: current == nil ? applicability : .unsafe))
    }
    return drafts
  }
}
