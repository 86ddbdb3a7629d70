namespace Overlay.Backends.Reconcile;

/// <summary>
/// One kind of kernel object a backend owns (routes, neighbour entries, FDB entries, xfrm policies,
/// cloud routes…): how to identify one, install and remove batches, and list what exists.
/// <see cref="PeerReconciler"/> is written once over these adapters, so every backend gets diffing,
/// stale clean-up, repair and retries for free, and tests can swap in a fake kernel.
/// </summary>
public interface IKernelObjectKind
{
    /// <summary>A short name for logs and status ("route", "neighbour", "fdb").</summary>
    string Name { get; }

    /// <summary>The identity of an object: objects with equal keys are the same kernel object, and
    /// a different value under the same key is a change.</summary>
    object GetKey(object item);

    /// <summary>True when <paramref name="actual"/> (as read from the kernel) satisfies
    /// <paramref name="desired"/>; the kernel may add attributes of its own.</summary>
    bool Matches(object desired, object actual);

    /// <summary>Installs or replaces the objects; returns the failures (empty when all succeeded).</summary>
    ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<object> items, CancellationToken cancellationToken);

    /// <summary>Removes the objects; an object that is already gone is not a failure.</summary>
    ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<object> items, CancellationToken cancellationToken);

    /// <summary>Lists the objects of this kind that we own, or that are ours to clean up (for example a
    /// predecessor's routes on our device).</summary>
    ValueTask<IReadOnlyList<object>> ListOwnedAsync(CancellationToken cancellationToken);
}
