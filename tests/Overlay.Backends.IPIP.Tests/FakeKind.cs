using Overlay.Backends.Reconcile;
using Overlay.Backends.IPIP.Internal;
using Overlay.Netlink;

namespace Overlay.Backends.IPIP.Tests;

/// <summary>A fake kernel table for one object kind, keyed as the real adapter keys it; records calls.</summary>
internal sealed class FakeKind<T>(string name, List<string> log, Func<T, object> key) : KernelObjectKind<T> where T : notnull
{
    public Dictionary<object, T> Kernel { get; } = [];

    public override string Name => name;

    public override object GetKey(T item) => key(item);

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
    {
        log.Add($"{name} install {string.Join(" ; ", items.Select(Describe))}");
        foreach (T item in items)
        {
            Kernel[key(item)] = item;
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>([]);
    }

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
    {
        log.Add($"{name} remove {string.Join(" ; ", items.Select(Describe))}");
        foreach (T item in items)
        {
            Kernel.Remove(key(item));
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>([]);
    }

    public override ValueTask<IReadOnlyList<T>> ListOwnedAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<T>>([.. Kernel.Values]);

    internal static string Describe(T item) => item switch
    {
        Neighbor n => $"{n.Address} lladdr {n.LinkLayerAddress} dev {n.InterfaceIndex}",
        IPIPPeerEntry p => $"{p.Subnet} -> {p.Address}",
        FdbEntry f => $"{f.MacAddress} dst {f.Destination} dev {f.InterfaceIndex}",
        Route r => $"{r.Destination} via {r.Gateway} dev {r.OutputInterface}{((r.Flags & RouteFlags.OnLink) != 0 ? " onlink" : "")}",
        _ => item.ToString() ?? "",
    };
}
