namespace Overlay.Backends.Reconcile;

/// <summary>Why one object of a batch could not be installed or removed.</summary>
/// <param name="Index">The object's position in the batch.</param>
/// <param name="Message">What went wrong (errno name and the kernel's extended-ack text).</param>
/// <param name="Errno">The errno, when the kernel gave one.</param>
public sealed record KernelObjectFailure(int Index, string Message, int? Errno = null);

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

/// <summary>A typed base for <see cref="IKernelObjectKind"/>.</summary>
/// <typeparam name="T">The object type, a value (record) type.</typeparam>
public abstract class KernelObjectKind<T> : IKernelObjectKind where T : notnull
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The identity of <paramref name="item"/>.</summary>
    public abstract object GetKey(T item);

    /// <summary>True when the kernel's <paramref name="actual"/> satisfies <paramref name="desired"/>.</summary>
    public virtual bool Matches(T desired, T actual) => desired.Equals(actual);

    /// <summary>Installs or replaces the objects.</summary>
    public abstract ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<T> items, CancellationToken cancellationToken);

    /// <summary>Removes the objects (already gone is success).</summary>
    public abstract ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<T> items, CancellationToken cancellationToken);

    /// <summary>Lists the objects we own.</summary>
    public abstract ValueTask<IReadOnlyList<T>> ListOwnedAsync(CancellationToken cancellationToken);

    object IKernelObjectKind.GetKey(object item) => GetKey((T)item);

    bool IKernelObjectKind.Matches(object desired, object actual) => Matches((T)desired, (T)actual);

    ValueTask<IReadOnlyList<KernelObjectFailure>> IKernelObjectKind.InstallAsync(IReadOnlyList<object> items, CancellationToken cancellationToken) =>
        InstallAsync(items.Cast<T>().ToList(), cancellationToken);

    ValueTask<IReadOnlyList<KernelObjectFailure>> IKernelObjectKind.RemoveAsync(IReadOnlyList<object> items, CancellationToken cancellationToken) =>
        RemoveAsync(items.Cast<T>().ToList(), cancellationToken);

    async ValueTask<IReadOnlyList<object>> IKernelObjectKind.ListOwnedAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<T> items = await ListOwnedAsync(cancellationToken).ConfigureAwait(false);
        return [.. items.Cast<object>()];
    }
}
