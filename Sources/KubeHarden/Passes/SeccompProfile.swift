import YAMLSource

/// Pods run with the container runtime's default seccomp profile.
///
/// Finding: neither the pod nor every container sets `seccompProfile.type` to `RuntimeDefault`
/// or `Localhost`, or one of them sets `Unconfined`.
/// Fix: set the pod's `securityContext.seccompProfile.type: RuntimeDefault`; replace an explicit
/// `Unconfined` (pod or container) with `RuntimeDefault`; add the field equivalent to a legacy
/// seccomp annotation (and change an `unconfined` one with it). Not written on Windows pods.
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
      container already uses RuntimeDefault or Localhost, and replaces an explicit `Unconfined`. Where a \
      legacy `seccomp.security.alpha.kubernetes.io` annotation chooses the profile, writes the field \
      that says the same (since Kubernetes 1.25 the API server no longer copies the annotations \
      into the fields).
      """,
    applicability: """
      Safe: RuntimeDefault at pod level where no profile is set, and the field equivalent to a legacy \
      seccomp annotation (`runtime/default`, `localhost/<profile>`). Unsafe: replacing an explicit \
      Unconfined, in a field or in a legacy annotation (the annotation and the field change together: \
      the API server rejects them when they disagree). Manual: an annotation that disagrees with its \
      field, and Windows pods.
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
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            seccomp.security.alpha.kubernetes.io/pod: runtime/default
        spec:
          containers:
          - name: web
            image: registry.example.com/web:1.0
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          metadata:
            annotations:
              seccomp.security.alpha.kubernetes.io/pod: runtime/default
          spec:
            containers:
            - name: web
              image: registry.example.com/web:1.0
            securityContext:
              seccompProfile:
                type: RuntimeDefault
          """),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            container.seccomp.security.alpha.kubernetes.io/web: localhost/profiles/web.json
        spec:
          containers:
          - name: web
            securityContext:
              seccompProfile:
                type: Localhost
                localhostProfile: profiles/web.json
        """),
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
        """),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    let path = ["securityContext", "seccompProfile", "type"]
    let podType = context.value(pod.spec, path).flatMap { context.document.string($0) }
    let specNode = pod.specKey ?? pod.spec
    var drafts: [Draft] = []
    if pod.isWindows {
      if podType == nil { drafts.append(WindowsRules.skipped("seccompProfile", pod, node: specNode)) }
      return drafts
    }
    // A level (the pod, a container) with a legacy annotation gets the field equivalent to it, or
    // a finding where they disagree (`match`), and nothing else: the API server rejects a pod
    // whose annotation and field disagree, so no other fix may change that field alone.
    let legacy = legacyAnnotations(pod, context: context)
    let podAnnotation = legacy.first { $0.container == nil }
    if let podAnnotation,
      let draft = match(podAnnotation, base: pod.spec, label: "\(pod.label) (pod level)", shared: pod.sharedReason, context: context)
    {
      drafts.append(draft)
    }
    var podNeeded = false
    for container in pod.containers {
      if let annotation = legacy.first(where: { $0.container == container.name }) {
        if let draft = match(annotation, base: container.node, label: container.label, shared: container.sharedReason, context: context) {
          drafts.append(draft)
        }
        continue
      }
      let type = context.value(container.node, path).flatMap { context.document.string($0) }
      if type == "Unconfined" {
        drafts.append(
          Draft(
            message: "\(container.label) runs with seccomp Unconfined", node: context.locate(container.node, path),
            status: container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
            requirements: [Requirement(base: container.node, path: path, value: .string("RuntimeDefault"))],
            fixTitle: "Set seccompProfile.type: RuntimeDefault", applicability: .unsafe))
      } else if type == nil && podAnnotation == nil && !Self.allowed.contains(podType ?? "") && context.configuration.profile == .restricted
      {
        // Only the restricted profile requires a profile; baseline forbids only Unconfined.
        podNeeded = true
      }
    }
    guard podAnnotation == nil else { return drafts }
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

  /// A legacy seccomp annotation of the pod's own metadata: `seccomp.security.alpha.kubernetes.io/pod`
  /// (`container` nil) or `container.seccomp.security.alpha.kubernetes.io/<container>`.
  struct LegacyAnnotation {
    var key: NodeID
    var value: NodeID
    var name: String
    var container: String?
    var annotations: NodeID
  }

  static let podAnnotation = "seccomp.security.alpha.kubernetes.io/pod"
  static let containerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/"

  func legacyAnnotations(_ pod: PodSpecView, context: PassContext) -> [LegacyAnnotation] {
    guard context.mentions(.seccompAnnotation), let annotations = context.podAnnotations(pod) else { return [] }
    return context.document.entries(annotations).compactMap { entry in
      guard let key = context.document.string(entry.key) else { return nil }
      if key == Self.podAnnotation {
        return LegacyAnnotation(key: entry.key, value: entry.value, name: key, container: nil, annotations: annotations)
      }
      guard key.hasPrefix(Self.containerAnnotationPrefix) else { return nil }
      let container = String(key.dropFirst(Self.containerAnnotationPrefix.count))
      return LegacyAnnotation(key: entry.key, value: entry.value, name: key, container: container, annotations: annotations)
    }
  }

  /// The draft that makes the field at `base` agree with a legacy annotation, as the API server's
  /// `validateSeccompAnnotationsAndFieldsMatch` (kubernetes/kubernetes
  /// `pkg/apis/core/validation/validation.go`) requires when both are set: `runtime/default` or
  /// `docker/default` ↔ `RuntimeDefault`, `localhost/<p>` ↔ `Localhost` with `localhostProfile: <p>`,
  /// `unconfined` ↔ `Unconfined`. The annotations are deprecated since seccomp went GA in 1.19
  /// (KEP 135, kubernetes/enhancements `keps/sig-node/135-seccomp`), and since 1.25 the API server
  /// no longer copies them into the fields (kubernetes/kubernetes "Partly remove support for
  /// seccomp annotations", KEP 135's removal step): the field is what carries the profile, and the
  /// Pod Security Admission library reads only the fields from policy 1.19 on
  /// (`policy/check_seccompProfile_baseline.go`).
  /// nil when the field already agrees.
  func match(_ annotation: LegacyAnnotation, base: NodeID, label: String, shared: String?, context: PassContext) -> Draft? {
    let document = context.document
    let node = document.resolved(annotation.value)
    let value = document.isScalar(node) ? document.string(node) ?? "" : ""
    let type = context.string(base, ["securityContext", "seccompProfile", "type"])
    let profile = context.string(base, ["securityContext", "seccompProfile", "localhostProfile"])
    let status: FindingStatus = shared.map { .unfixable(reason: $0) } ?? .fixable
    let field = ["securityContext", "seccompProfile"]
    let message = "\(label) sets its seccomp profile with the legacy annotation \(annotation.name): \(value)"
    if let type {
      let agrees: Bool
      switch type {
      case "RuntimeDefault": agrees = value == "runtime/default" || value == "docker/default"
      case "Localhost": agrees = value.hasPrefix("localhost/") && profile == String(value.dropFirst("localhost/".count))
      case "Unconfined": agrees = value == "unconfined"
      default: agrees = false
      }
      if agrees && type != "Unconfined" { return nil }
      if agrees && document.isScalar(annotation.value) {
        return Draft(
          message: "\(message) and seccompProfile.type Unconfined", node: annotation.key, status: status,
          requirements: [
            Requirement(base: annotation.annotations, path: [annotation.name], value: .string("runtime/default")),
            Requirement(base: base, path: field + ["type"], value: .string("RuntimeDefault")),
          ],
          fixTitle: "Set the annotation to runtime/default and seccompProfile.type: RuntimeDefault", applicability: .unsafe)
      }
      if agrees {
        return .manual(message, at: annotation.key, remedy: "set the annotation and seccompProfile.type to RuntimeDefault together")
      }
      return .manual(
        "\(message), which disagrees with its seccompProfile.type \(type)", at: annotation.key,
        remedy:
          "the API server rejects a pod whose seccomp annotation and field disagree; remove the annotation and keep the field you mean")
    }
    switch value {
    case "runtime/default", "docker/default":
      return Draft(
        message: message, node: annotation.key, status: status,
        requirements: [Requirement(base: base, path: field + ["type"], value: .string("RuntimeDefault"))],
        fixTitle: "Set seccompProfile.type: RuntimeDefault, as the annotation says")
    case let value where value.hasPrefix("localhost/") && value.count > "localhost/".count:
      return Draft(
        message: message, node: annotation.key, status: status,
        requirements: [
          Requirement(base: base, path: field + ["type"], value: .string("Localhost")),
          Requirement(base: base, path: field + ["localhostProfile"], value: .string(String(value.dropFirst("localhost/".count)))),
        ],
        fixTitle: "Set seccompProfile to the annotation's Localhost profile")
    case "unconfined" where document.isScalar(annotation.value):
      return Draft(
        message: "\(message) (Pod Security: seccomp)", node: annotation.key, status: status,
        requirements: [
          Requirement(base: annotation.annotations, path: [annotation.name], value: .string("runtime/default")),
          Requirement(base: base, path: field + ["type"], value: .string("RuntimeDefault")),
        ],
        fixTitle: "Set the annotation to runtime/default and seccompProfile.type: RuntimeDefault", applicability: .unsafe)
    default:
      return .manual(
        message, at: annotation.key,
        remedy:
          "replace the annotation with securityContext.seccompProfile (RuntimeDefault, or Localhost with a localhostProfile loaded on the nodes)"
      )
    }
  }
}
