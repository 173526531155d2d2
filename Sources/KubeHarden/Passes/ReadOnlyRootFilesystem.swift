import YAMLSource

/// Containers must have a read-only root filesystem.
///
/// Finding: a container's `securityContext.readOnlyRootFilesystem` is `false`, or absent.
/// Fix: replace the scalar with `true` or insert `readOnlyRootFilesystem: true`.
/// Applications that write outside mounted volumes need an `emptyDir` (e.g. at `/tmp`) or an
/// exemption annotation.
struct ReadOnlyRootFilesystem: Pass {
  static let metadata = PassMetadata(
    id: "read-only-root-filesystem", title: "Containers have a read-only root filesystem",
    rationale: """
      A writable root filesystem lets an attacker drop tools and persist changes inside the container. \
      Write to mounted volumes instead. Check that the application does not write outside its volumes \
      (temporary files often need an emptyDir at /tmp); exempt it with the annotation otherwise.
      """,
    fixDescription: "Sets `securityContext.readOnlyRootFilesystem: true` on every container, init container and ephemeral container.",
    references: [.owasp("K01"), .checkov("CKV_K8S_22")],
    triggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            image: nginx
            securityContext:
              readOnlyRootFilesystem: false
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: nginx
              securityContext:
                readOnlyRootFilesystem: true
          """)
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: batch/v1
        kind: Job
        spec:
          template:
            spec:
              containers:
              - name: job
                securityContext:
                  readOnlyRootFilesystem: true
        """)
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    containerBoolean(pod, context: context, field: "readOnlyRootFilesystem", desired: true) { container, current in
      current == false
        ? "\(container.label) has a writable root filesystem"
        : "\(container.label) does not set readOnlyRootFilesystem: true"
    }
  }
}
