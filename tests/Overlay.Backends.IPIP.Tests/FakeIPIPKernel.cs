using System.Net;
using Overlay.Backends.IPIP.Internal;
using Overlay.Netlink;

namespace Overlay.Backends.IPIP.Tests;

/// <summary>A recording fake of the rtnetlink requests the ipip backend sends: one log line per request, in order.</summary>
internal sealed class FakeIPIPKernel : IIPIPKernel
{
    private int _nextIndex = 7;

    public List<string> Requests { get; } = [];

    public Dictionary<string, Link> Links { get; } = [];

    public Dictionary<int, List<LinkAddress>> Addresses { get; } = [];

    /// <summary>When false, creating an ipip link fails with EOPNOTSUPP (a kernel without CONFIG_NET_IPIP).</summary>
    public bool HasIPIP { get; set; } = true;

    public void AddLink(string name, string? kind, LinkSpec? spec = null, int mtu = 1480, bool up = true)
    {
        int index = _nextIndex++;
        Links[name] = new Link { Index = index, Name = name, Kind = kind, Spec = spec, Mtu = mtu, Flags = up ? InterfaceFlags.Up : 0 };
    }

    public ValueTask<Link?> TryGetLinkAsync(string name, CancellationToken cancellationToken)
    {
        Requests.Add($"link get {name}");
        return ValueTask.FromResult(Links.GetValueOrDefault(name));
    }

    public ValueTask<Link> LinkAddAsync(IPIPLinkSpec spec, CancellationToken cancellationToken)
    {
        Requests.Add($"link add {spec.Name} type ipip local {spec.Local} remote {spec.Remote?.ToString() ?? "any"} ttl {spec.Ttl} tos {spec.Tos} pmtudisc {(spec.PathMtuDiscovery == true ? "on" : "off")}");
        if (!HasIPIP)
        {
            throw new NetlinkException($"link add {spec.Name} (ipip)", 95, "Unknown device type");
        }

        var link = new Link { Index = _nextIndex++, Name = spec.Name, Kind = "ipip", Spec = spec, Mtu = 1480 };
        Links[spec.Name] = link;
        return ValueTask.FromResult(link);
    }

    public ValueTask LinkDeleteAsync(int index, CancellationToken cancellationToken)
    {
        Requests.Add($"link del {index}");
        foreach (KeyValuePair<string, Link> l in Links.Where(l => l.Value.Index == index).ToList())
        {
            Links.Remove(l.Key);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask LinkSetMtuAsync(int index, int mtu, CancellationToken cancellationToken)
    {
        Requests.Add($"link set {index} mtu {mtu}");
        Update(index, l => l with { Mtu = mtu });
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<LinkAddress>> AddressesAsync(int index, CancellationToken cancellationToken)
    {
        Requests.Add($"addr list {index}");
        return ValueTask.FromResult<IReadOnlyList<LinkAddress>>([.. Addresses.GetValueOrDefault(index) ?? []]);
    }

    public ValueTask AddressAddAsync(LinkAddress address, CancellationToken cancellationToken)
    {
        Requests.Add($"addr add {address.Address}/{address.PrefixLength} dev {address.InterfaceIndex}");
        if (!Addresses.TryGetValue(address.InterfaceIndex, out List<LinkAddress>? list))
        {
            Addresses[address.InterfaceIndex] = list = [];
        }

        list.Add(address);
        return ValueTask.CompletedTask;
    }

    public ValueTask AddressDeleteAsync(LinkAddress address, CancellationToken cancellationToken)
    {
        Requests.Add($"addr del {address.Address}/{address.PrefixLength} dev {address.InterfaceIndex}");
        Addresses.GetValueOrDefault(address.InterfaceIndex)?.RemoveAll(a => a.Address.Equals(address.Address) && a.PrefixLength == address.PrefixLength);
        return ValueTask.CompletedTask;
    }

    public ValueTask LinkSetUpAsync(int index, CancellationToken cancellationToken)
    {
        Requests.Add($"link set {index} up");
        Update(index, l => l with { Flags = l.Flags | InterfaceFlags.Up });
        return ValueTask.CompletedTask;
    }

    private void Update(int index, Func<Link, Link> change)
    {
        foreach (KeyValuePair<string, Link> l in Links.Where(l => l.Value.Index == index).ToList())
        {
            Links[l.Key] = change(l.Value);
        }
    }

    public static IPAddress Ip(string s) => IPAddress.Parse(s);
}
