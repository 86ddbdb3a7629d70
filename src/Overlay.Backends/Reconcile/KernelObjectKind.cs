namespace Overlay.Backends.Reconcile;

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
