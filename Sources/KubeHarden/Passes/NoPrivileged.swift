import YAMLSource

/// Containers must not run privileged.
///
/// Finding: a container's `securityContext.privileged` is `true`, or absent.
/// Fix: replace the scalar with `false`, keeping its quotes and comment, or insert
/// `privileged: false`. Refused where the node is shared through an anchor or alias.
struct NoPrivileged: Pass {
  static let metadata = PassMetadata(
    id: "no-privileged", title: "Containers are not privileged", severity: .error,
    rationale: """
      A privileged container has every capability and access to the host's devices: a process that \
      escapes it owns the node. Almost no workload needs it; node agents that do should be exempted \
      explicitly.
      """,
    fixDescription: "Sets `securityContext.privileged: false` on every container, init container and ephemeral container.",
    applicability: """
      Safe: privileged: false where it is absent (a note: the API's default is already false). \
      Unsafe: replacing an explicit privileged: true; a new value on a container that explicitly runs as \
      root. Manual: containers of pods that use the host, or that add powerful capabilities \
      (privileged-workload), get nothing, not even with --unsafe-fixes.
      """,
    references: [.owasp("K01"), .pss("Privileged Containers", profile: "Baseline"), .cis("5.2.2"), .checkov("CKV_K8S_16")],
    podSecurity: PodSecurity(.baseline, checks: ["privileged"]),
    triggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
        spec:
          containers:
          - name: web
            image: registry.example.com/web:1.0
            securityContext:
              privileged: true  # legacy
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          metadata:
            name: web
          spec:
            containers:
            - name: web
              image: registry.example.com/web:1.0
              securityContext:
                privileged: false  # legacy
          """, applicability: .unsafe),
      PassExample(
        """
        apiVersion: apps/v1
        kind: Deployment
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: app:1
        """,
        fixed: """
          apiVersion: apps/v1
          kind: Deployment
          spec:
            template:
              spec:
                containers:
                  - name: app
                    image: app:1
                    securityContext:
                      privileged: false
          """),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            securityContext: {privileged: false}
        """),
      PassExample(
        """
        apiVersion: apps.kruise.io/v1beta1
        kind: StatefulSet
        spec:
          template:
            spec:
              containers:
              - name: web
        """),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    // Absent, privileged is already false (the API's default): writing it is a note.
    containerBoolean(pod, context: context, field: "privileged", desired: false, whenAbsent: .note) { container, current in
      current == true ? "\(container.label) runs privileged" : "\(container.label) does not set privileged: false"
    }
  }
}
