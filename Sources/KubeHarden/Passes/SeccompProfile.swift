import YAMLSource

/// Pods run with the container runtime's default seccomp profile.
///
/// Finding: neither the pod nor every container sets `seccompProfile.type` to `RuntimeDefault`
/// or `Localhost`, or one of them sets `Unconfined`.
/// Fix: set the pod's `securityContext.seccompProfile.type: RuntimeDefault`; replace an explicit
/// `Unconfined` (pod or container) with `RuntimeDefault`. Not written on Windows pods.
struct SeccompProfile: Pass {
  static let allowed: Set<String> = ["RuntimeDefault", "Localhost"]

  static let metadata = PassMetadata(
    id: "seccomp-profile", title: "Pods use the RuntimeDefault seccomp profile",
    rationale: """
      Without a seccomp profile a container may call every system call of the host kernel, which \
      widens the attack surface for container escapes. RuntimeDefault blocks the calls containers \
      do not need; the Restricted profile requires it (or a Localhost profile).
      """,
    fixDescription: """
      Sets `securityContext.seccompProfile.type: RuntimeDefault` at pod level unless the pod or every \
      container already uses RuntimeDefault or Localhost, and replaces an explicit `Unconfined`.
      """,
    applicability: """
      Safe: RuntimeDefault at pod level where no profile is set. Unsafe: replacing an explicit \
      Unconfined. Manual: legacy seccomp annotations (the API server rejects fields that disagree with \
      them) and Windows pods.
      """,
    references: [.owasp("K01"), .pss("Seccomp", profile: "Restricted"), .checkov("CKV_K8S_31")],
    podSecurity: PodSecurity(.baseline, checks: ["seccompProfile_baseline", "seccompProfile_restricted"]),
    triggering: [
      PassExample(
        PassExample.barePod,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: registry.example.com/web:1.0
            securityContext:
              seccompProfile:
                type: RuntimeDefault
          """),
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          securityContext:
            seccompProfile: {type: RuntimeDefault}
          containers:
          - name: web
            securityContext:
              seccompProfile:
                type: Unconfined  # debugging
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            securityContext:
              seccompProfile: {type: RuntimeDefault}
            containers:
            - name: web
              securityContext:
                seccompProfile:
                  type: RuntimeDefault  # debugging
          """, applicability: .unsafe),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            securityContext:
              seccompProfile:
                type: Localhost
                localhostProfile: profiles/web.json
        """)
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    let path = ["securityContext", "seccompProfile", "type"]
    let podType = context.value(pod.spec, path).flatMap { context.document.string($0) }
    let specNode = pod.specKey ?? pod.spec
    var drafts: [Draft] = []
    // The API server rejects a pod whose legacy seccomp annotations and fields disagree: where
    // annotations are used, the fix is a migration a person must make.
    if let annotation = legacyAnnotation(pod, context: context) {
      return [
        Draft(
          message: "\(pod.label) sets its seccomp profile with the legacy annotation \(context.document.string(annotation) ?? "")",
          node: annotation,
          status: .unfixable(
            reason:
              "the API server rejects seccompProfile fields that disagree with the legacy annotations; replace the annotations with securityContext.seccompProfile by hand"
          ),
          severity: .warning)
      ]
    }
    if pod.isWindows {
      if podType == nil { drafts.append(WindowsRules.skipped("seccompProfile", pod, node: specNode)) }
      return drafts
    }
    var podNeeded = false
    for container in pod.containers {
      let type = context.value(container.node, path).flatMap { context.document.string($0) }
      if type == "Unconfined" {
        drafts.append(
          Draft(
            message: "\(container.label) runs with seccomp Unconfined", node: context.locate(container.node, path),
            status: container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
            requirements: [Requirement(base: container.node, path: path, value: .string("RuntimeDefault"))],
            fixTitle: "Set seccompProfile.type: RuntimeDefault", applicability: .unsafe))
      } else if type == nil && !Self.allowed.contains(podType ?? "") && context.configuration.profile == .restricted {
        // Only the restricted profile requires a profile; baseline forbids only Unconfined.
        podNeeded = true
      }
    }
    if podType == "Unconfined" || (podNeeded && podType == nil) || (podNeeded && !Self.allowed.contains(podType ?? "")) {
      drafts.append(
        Draft(
          message: podType == "Unconfined"
            ? "\(pod.label) runs its pod with seccomp Unconfined" : "\(pod.label) does not set a seccomp profile",
          node: podType == nil ? specNode : context.locate(pod.spec, path),
          status: pod.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
          requirements: [Requirement(base: pod.spec, path: path, value: .string("RuntimeDefault"))],
          fixTitle: "Set the pod's seccompProfile.type: RuntimeDefault", applicability: podType == nil ? .safe : .unsafe))
    }
    return drafts
  }

  /// A `seccomp.security.alpha.kubernetes.io/pod` or `container.seccomp.security.alpha.kubernetes.io/<name>`
  /// annotation key on the workload or its pod template.
  func legacyAnnotation(_ pod: PodSpecView, context: PassContext) -> NodeID? {
    pod.annotations(context.editor).first { entry in
      guard let key = context.document.string(entry.key) else { return false }
      return key == "seccomp.security.alpha.kubernetes.io/pod" || key.hasPrefix("container.seccomp.security.alpha.kubernetes.io/")
    }?.key
  }
}
