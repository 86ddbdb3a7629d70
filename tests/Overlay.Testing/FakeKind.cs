using Overlay.Backends.Reconcile;
using Overlay.Netlink;

namespace Overlay.Testing;

/// <summary>
/// A fake kernel table for one object kind, keyed as the real adapter keys it (or as the test likes): a
/// dictionary, a call log shared by the kinds of one test (so the order across kinds shows), and failure
/// injection. Log lines: <c>NAME install A ; B</c>, <c>NAME remove A</c>, and <c>NAME list</c> when
/// <see cref="LogLists"/> is on.
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
/// <param name="name">The kind's name, first word of its log lines.</param>
/// <param name="log">The call log.</param>
/// <param name="key">The identity of an object.</param>
/// <param name="describe">How an object reads in the log; default iproute2-like for neighbours, FDB entries and
/// routes, else <c>ToString()</c>.</param>
public sealed class FakeKind<T>(string name, List<string> log, Func<T, object> key, Func<T, string>? describe = null) : KernelObjectKind<T>
    where T : notnull
{
    /// <summary>The fake kernel's objects by key.</summary>
    public Dictionary<object, T> Kernel { get; } = [];

    /// <summary>The call log (shared by the kinds of one test).</summary>
    public List<string> Calls => log;

    /// <summary>An error for an object whose installation should fail (null: it succeeds).</summary>
    public Func<T, string?>? FailInstall { get; set; }

    /// <summary>An error for an object whose removal should fail (null: it succeeds).</summary>
    public Func<T, string?>? FailRemove { get; set; }

    /// <summary>Installation throws (a broken netlink socket).</summary>
    public bool ThrowOnInstall { get; set; }

    /// <summary>Which kernel objects the kind lists as its own (default: all).</summary>
    public Func<T, bool>? IsOwned { get; init; }

    /// <summary>Log <c>NAME list</c> for every <see cref="ListOwnedAsync"/>.</summary>
    public bool LogLists { get; init; }

    /// <inheritdoc />
    public override string Name => name;

    /// <inheritdoc />
    public override object GetKey(T item) => key(item);

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        log.Add($"{name} install {string.Join(" ; ", items.Select(Text))}");
        if (ThrowOnInstall)
        {
            throw new IOException("netlink socket closed");
        }

        var failures = new List<KernelObjectFailure>();
        for (int i = 0; i < items.Count; i++)
        {
            if (FailInstall?.Invoke(items[i]) is { } error)
            {
                failures.Add(new KernelObjectFailure(i, error));
            }
            else
            {
                Kernel[key(items[i])] = items[i];
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>(failures);
    }

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        log.Add($"{name} remove {string.Join(" ; ", items.Select(Text))}");
        var failures = new List<KernelObjectFailure>();
        for (int i = 0; i < items.Count; i++)
        {
            if (FailRemove?.Invoke(items[i]) is { } error)
            {
                failures.Add(new KernelObjectFailure(i, error));
            }
            else
            {
                Kernel.Remove(key(items[i]));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>(failures);
    }

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<T>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        if (LogLists)
        {
            log.Add($"{name} list");
        }

        return ValueTask.FromResult<IReadOnlyList<T>>([.. Kernel.Values.Where(o => IsOwned?.Invoke(o) ?? true)]);
    }

    // The default description: iproute2-like for neighbours, FDB entries and routes, else ToString().
    private static string Describe(T item) => item switch
    {
        Neighbor n => $"{n.Address} lladdr {n.LinkLayerAddress} dev {n.InterfaceIndex}",
        FdbEntry f => $"{f.MacAddress} dst {f.Destination} dev {f.InterfaceIndex}",
        Route r => $"{r.Destination} via {r.Gateway} dev {r.OutputInterface}{((r.Flags & RouteFlags.OnLink) != 0 ? " onlink" : "")}",
        _ => item.ToString() ?? "",
    };

    private string Text(T item) => describe is null ? Describe(item) : describe(item);
}
