import YAMLSource

/// Pods and containers do not override the runtime's default AppArmor profile.
///
/// Finding: the pod's or a container's `securityContext.appArmorProfile.type` is not
/// `RuntimeDefault` or `Localhost` (an `appArmorProfile` without a type fails too), or a
/// `container.apparmor.security.beta.kubernetes.io/<container>` annotation of the pod is not
/// empty, `runtime/default` or `localhost/<profile>`.
/// Fix: `Unconfined` → `RuntimeDefault` and `unconfined` → `runtime/default` (unsafe: the
/// workload chose to run unconfined); any other value is manual.
/// Source: kubernetes/pod-security-admission `policy/check_appArmorProfile.go` (baseline, all versions).
struct AppArmorProfile: Pass {
  static let allowedTypes: Set<String> = ["RuntimeDefault", "Localhost"]
  static let annotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

  static func allowedAnnotation(_ value: String) -> Bool {
    value.isEmpty || value == "runtime/default" || value.hasPrefix("localhost/")
  }

  static let metadata = PassMetadata(
    id: "apparmor-profile", title: "Pods do not run AppArmor unconfined",
    rationale: """
      AppArmor confines what files, capabilities and network a container may use. Unconfined turns \
      that off; the Baseline profile allows only the runtime's default profile or a profile loaded \
      on the node (Localhost).
      """,
    fixDescription: """
      Replaces `appArmorProfile.type: Unconfined` with `RuntimeDefault`, and an `unconfined` AppArmor \
      annotation with `runtime/default`.
      """,
    applicability: "Unsafe: Unconfined is an explicit choice. Manual: other values (unknown types, empty profiles).",
    references: [.owasp("K01"), .pss("AppArmor", profile: "Baseline")],
    podSecurity: PodSecurity(.baseline, checks: ["appArmorProfile"]),
    triggering: [
      PassExample(
        PassExample.pod("securityContext:\n  appArmorProfile:\n    type: Unconfined\ncontainers:\n- name: web"),
        fixed: PassExample.pod("securityContext:\n  appArmorProfile:\n    type: RuntimeDefault\ncontainers:\n- name: web"),
        applicability: .unsafe),
      PassExample(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/web: 'unconfined'\nspec:\n  containers:\n  - name: web",
        fixed:
          "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/web: 'runtime/default'\nspec:\n  containers:\n  - name: web",
        applicability: .unsafe),
      .unchanged(PassExample.pod("containers:\n- name: web\n  securityContext:\n    appArmorProfile: {localhostProfile: custom}")),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/web: localhost/custom\nspec:\n  securityContext:\n    appArmorProfile: {type: RuntimeDefault}\n  containers:\n  - name: web\n    securityContext:\n      appArmorProfile: {type: Localhost, localhostProfile: custom}"
      ),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions([.appArmorProfile, .appArmorAnnotation]) else { return [] }
    var drafts: [Draft] = []
    let path = ["securityContext", "appArmorProfile"]
    var bases: [(NodeID, String, String?)] = [(pod.spec, "\(pod.label) (pod level)", pod.sharedReason)]
    for container in pod.containers { bases.append((container.node, container.label, container.sharedReason)) }
    for (base, label, shared) in bases {
      guard let profile = context.value(base, path), !context.document.isNull(profile) else { continue }
      let type = context.string(base, path + ["type"]) ?? ""
      guard !Self.allowedTypes.contains(type) else { continue }
      let message = "\(label) sets AppArmor profile type \(type.isEmpty ? "(none)" : type) (Pod Security baseline: AppArmor)"
      if type == "Unconfined" {
        drafts.append(
          Draft(
            message: message, node: context.locate(base, path + ["type"]), status: shared.map { .unfixable(reason: $0) } ?? .fixable,
            requirements: [Requirement(base: base, path: path + ["type"], value: .string("RuntimeDefault"))],
            fixTitle: "Set appArmorProfile.type: RuntimeDefault", applicability: .unsafe))
      } else {
        drafts.append(
          .manual(
            message, at: context.locate(base, path + ["type"]),
            remedy: "set appArmorProfile.type to RuntimeDefault, or Localhost with a localhostProfile loaded on the nodes"))
      }
    }
    guard let annotations = context.podAnnotations(pod) else { return drafts }
    for entry in context.document.entries(annotations) {
      guard let key = context.document.string(entry.key), key.hasPrefix(Self.annotationPrefix) else { continue }
      let node = context.document.resolved(entry.value)
      let value = context.document.isNull(node) ? "" : context.document.string(node) ?? ""
      guard !Self.allowedAnnotation(value) else { continue }
      let message = "\(pod.label) sets annotation \(key): \(value) (Pod Security baseline: AppArmor)"
      if value == "unconfined" && context.document.isScalar(entry.value) {
        drafts.append(
          Draft(
            message: message, node: entry.value, status: pod.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
            requirements: [Requirement(base: annotations, path: [key], value: .string("runtime/default"))],
            fixTitle: "Set \(key): runtime/default", applicability: .unsafe))
      } else {
        drafts.append(.manual(message, at: entry.value, remedy: "set it to runtime/default or localhost/<profile loaded on the nodes>"))
      }
    }
    return drafts
  }
}
