import YAMLSource

/// Containers must not allow privilege escalation.
///
/// Finding: a container's `securityContext.allowPrivilegeEscalation` is `true`, or absent.
/// Fix: replace the scalar with `false` or insert `allowPrivilegeEscalation: false`.
/// Not fixed where the API would reject it: with `privileged: true` that stays (no-privileged
/// disabled or exempted) or with `CAP_SYS_ADMIN` added.
struct NoPrivilegeEscalation: Pass {
  static let metadata = PassMetadata(
    id: "no-privilege-escalation", title: "Containers do not allow privilege escalation",
    rationale: """
      Without allowPrivilegeEscalation: false a process can gain more privileges than its parent \
      (setuid binaries, file capabilities). The Restricted profile requires false.
      """,
    fixDescription: """
      Sets `securityContext.allowPrivilegeEscalation: false` on every container. Reported instead of \
      fixed where the container stays privileged or adds CAP_SYS_ADMIN, since the API server rejects \
      that combination.
      """,
    applicability: """
      Safe: allowPrivilegeEscalation: false where it is absent. Unsafe: replacing an explicit \
      true; a new value on a container that explicitly runs privileged or as root. Manual: where the \
      API server would reject false (privileged: true kept, CAP_SYS_ADMIN added), and node agents \
      (privileged-workload).
      """,
    references: [.owasp("K01"), .pss("Privilege Escalation", profile: "Restricted"), .cis("5.2.6"), .checkov("CKV_K8S_20")],
    podSecurity: PodSecurity(.restricted, checks: ["allowPrivilegeEscalation"]),
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
                allowPrivilegeEscalation: false
          """)
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
              allowPrivilegeEscalation: false
        """)
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    containerBoolean(
      pod, context: context, field: "allowPrivilegeEscalation", desired: false,
      problem: { container, current in
        current == true
          ? "\(container.label) allows privilege escalation"
          : "\(container.label) does not set allowPrivilegeEscalation: false"
      },
      blocker: { container in
        let privileged = context.bool(container.node, ["securityContext", "privileged"]) == true
        if privileged && !context.willRun("no-privileged", on: container) {
          return
            "the container stays privileged (no-privileged is off or exempted); the API rejects allowPrivilegeEscalation: false with privileged: true"
        }
        if let add = context.value(container.node, ["securityContext", "capabilities", "add"]) {
          let names = context.document.items(add).compactMap { context.document.string(context.document.resolved($0)) }
          if names.contains(where: { $0 == "SYS_ADMIN" || $0 == "CAP_SYS_ADMIN" }) {
            return "the container adds CAP_SYS_ADMIN; the API rejects allowPrivilegeEscalation: false with it"
          }
        }
        return nil
      })
  }
}
