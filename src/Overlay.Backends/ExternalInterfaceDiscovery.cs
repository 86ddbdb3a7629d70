using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Overlay.Netlink;

namespace Overlay.Backends;

/// <summary>
/// Chooses the external interface as flanneld does: without options, the
/// interface of the public address if one is given, else that of the default route; otherwise each
/// of <see cref="ExternalInterfaceOptions.Interfaces"/> (a name, or an address that must be on the interface), then each regular
/// expression (over usable addresses first, then names), then the can-reach route lookup. The
/// interface address is its first usable address of each needed family (global before link-local,
/// permanent before dynamic, non-temporary before temporary; never deprecated).
/// </summary>
public static class ExternalInterfaceDiscovery
{
    /// <summary>Chooses the interface through <paramref name="netlink"/> (in the node's namespace).</summary>
    /// <exception cref="ExternalInterfaceException">Nothing fits; the message says what was considered.</exception>
    public static async ValueTask<ExternalInterface> DiscoverAsync(NetlinkClient netlink, ExternalInterfaceOptions options, bool ipv4, bool ipv6, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(options);
        if (!ipv4 && !ipv6)
        {
            throw new ArgumentException("At least one address family must be enabled.", nameof(ipv4));
        }

        IPAddress? publicIP = ParseAddress(options.PublicIP, nameof(ExternalInterfaceOptions.PublicIP), AddressFamily.InterNetwork);
        IPAddress? publicIPv6 = ParseAddress(options.PublicIPv6, nameof(ExternalInterfaceOptions.PublicIPv6), AddressFamily.InterNetworkV6);
        IPAddress? canReach = ParseAddress(options.CanReach, nameof(ExternalInterfaceOptions.CanReach), null);

        var links = new List<Link>();
        await foreach (Link link in netlink.LinksAsync(cancellationToken).ConfigureAwait(false))
        {
            links.Add(link);
        }

        var addresses = new List<LinkAddress>();
        await foreach (LinkAddress address in netlink.AddressesAsync(null, null, cancellationToken).ConfigureAwait(false))
        {
            addresses.Add(address);
        }

        var view = new InterfaceView(links, addresses);
        (Link link, IPAddress? v4, IPAddress? v6) chosen;
        if (options.Interfaces.Count == 0 && options.InterfaceRegexes.Count == 0 && canReach is null)
        {
            chosen = publicIP is { } && ipv4 ? ByAddress(view, publicIP, ipv4, ipv6, options)
                : publicIPv6 is { } && ipv6 ? ByAddress(view, publicIPv6, ipv4, ipv6, options)
                : await ByDefaultRouteAsync(netlink, view, ipv4, ipv6, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            chosen = await ByOptionsAsync(netlink, view, options, canReach, ipv4, ipv6, cancellationToken).ConfigureAwait(false);
        }

        var (chosenLink, address4, address6) = chosen;
        if (chosenLink.Mtu == 0)
        {
            throw new ExternalInterfaceException($"Interface {chosenLink.Name} has MTU 0.");
        }

        address4 ??= ipv4 ? view.FirstUsable(chosenLink.Index, AddressFamily.InterNetwork) : null;
        address6 ??= ipv6 ? publicIPv6 is { } p6 && view.Has(chosenLink.Index, p6) ? p6 : view.FirstUsable(chosenLink.Index, AddressFamily.InterNetworkV6) : null;
        if (ipv4 && address4 is null)
        {
            throw new ExternalInterfaceException($"Interface {chosenLink.Name} has no usable IPv4 address; its addresses: {view.Describe(chosenLink.Index)}.");
        }

        if (ipv6 && address6 is null)
        {
            throw new ExternalInterfaceException($"Interface {chosenLink.Name} has no usable IPv6 address; its addresses: {view.Describe(chosenLink.Index)}.");
        }

        return new ExternalInterface(chosenLink.Name, chosenLink.Index, chosenLink.Mtu)
        {
            Address = ipv4 ? address4 : null,
            IPv6Address = ipv6 ? address6 : null,
            PublicIP = ipv4 ? publicIP ?? address4 : null,
            PublicIPv6 = ipv6 ? publicIPv6 ?? address6 : null,
        };
    }

    /// <summary>An address option: null when not set; an <see cref="ArgumentException"/> naming the option when it is
    /// not an address (of <paramref name="family"/>, when given).</summary>
    private static IPAddress? ParseAddress(string? value, string member, AddressFamily? family)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!IPAddress.TryParse(value.Trim(), out IPAddress? address) || (family is { } f && address.AddressFamily != f))
        {
            string what = family switch
            {
                AddressFamily.InterNetwork => "an IPv4 address",
                AddressFamily.InterNetworkV6 => "an IPv6 address",
                _ => "an IP address",
            };
            throw new ArgumentException($"{member} must be {what}, not '{value}'.");
        }

        return address;
    }

    private static async ValueTask<(Link, IPAddress?, IPAddress?)> ByOptionsAsync(NetlinkClient netlink, InterfaceView view, ExternalInterfaceOptions options, IPAddress? canReach, bool ipv4, bool ipv6, CancellationToken cancellationToken)
    {
        var tried = new List<string>();
        foreach (string value in options.Interfaces)
        {
            if (IPAddress.TryParse(value, out IPAddress? ip))
            {
                Link? owner = view.LinkWithAddress(ip);
                if (owner is not null && (ip.AddressFamily == AddressFamily.InterNetwork ? ipv4 : ipv6 || !ipv4))
                {
                    return (owner, ip.AddressFamily == AddressFamily.InterNetwork ? ip : null, ip.AddressFamily == AddressFamily.InterNetworkV6 ? ip : null);
                }

                tried.Add($"address {value} (on no interface{(owner is null ? string.Empty : " of a needed family")})");
            }
            else
            {
                Link? byName = view.Links.FirstOrDefault(l => l.Name == value);
                if (byName is not null)
                {
                    return (byName, null, null);
                }

                tried.Add($"name {value} (no such interface)");
            }
        }

        foreach (string pattern in options.InterfaceRegexes)
        {
            Regex regex;
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Interface regex '{pattern}' is invalid: {ex.Message}", nameof(options), ex);
            }

            foreach (Link link in view.Links)
            {
                IPAddress? v4 = ipv4 ? view.Usable(link.Index, AddressFamily.InterNetwork).FirstOrDefault(a => regex.IsMatch(a.ToString())) : null;
                IPAddress? v6 = ipv6 ? view.Usable(link.Index, AddressFamily.InterNetworkV6).FirstOrDefault(a => regex.IsMatch(a.ToString())) : null;
                if ((!ipv4 || v4 is not null) && (!ipv6 || v6 is not null))
                {
                    return (link, v4, v6);
                }
            }

            Link? named = view.Links.FirstOrDefault(l => regex.IsMatch(l.Name));
            if (named is not null)
            {
                return (named, null, null);
            }

            tried.Add($"regex {pattern} (matched no address and no name)");
        }

        if (canReach is { } target)
        {
            IReadOnlyList<Route> routes;
            try
            {
                routes = await netlink.RouteGetAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (NetlinkException ex)
            {
                throw new ExternalInterfaceException($"No route to {target} (can-reach): {ex.Message}. Interfaces: {view.DescribeAll()}.", ex);
            }

            Route? route = routes.FirstOrDefault(r => r.OutputInterface is not null);
            Link? link = route is null ? null : view.Links.FirstOrDefault(l => l.Index == route.OutputInterface);
            if (link is not null)
            {
                IPAddress? source = route!.PreferredSource;
                return (link, source?.AddressFamily == AddressFamily.InterNetwork ? source : null, source?.AddressFamily == AddressFamily.InterNetworkV6 ? source : null);
            }

            tried.Add($"can-reach {target} (the route has no output interface)");
        }

        throw new ExternalInterfaceException($"No interface matches: tried {string.Join("; ", tried)}. Interfaces: {view.DescribeAll()}.");
    }

    private static (Link, IPAddress?, IPAddress?) ByAddress(InterfaceView view, IPAddress address, bool ipv4, bool ipv6, ExternalInterfaceOptions options)
    {
        Link link = view.LinkWithAddress(address)
            ?? throw new ExternalInterfaceException($"The public address {address} is on no local interface (when it is a NAT address, name the interface too: ExternalInterfaceOptions.Interfaces, flanneld's --iface). Interfaces: {view.DescribeAll()}.");
        return (link, address.AddressFamily == AddressFamily.InterNetwork ? address : null, address.AddressFamily == AddressFamily.InterNetworkV6 ? address : null);
    }

    private static async ValueTask<(Link, IPAddress?, IPAddress?)> ByDefaultRouteAsync(NetlinkClient netlink, InterfaceView view, bool ipv4, bool ipv6, CancellationToken cancellationToken)
    {
        Link? v4Link = ipv4 ? await DefaultRouteLinkAsync(netlink, view, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false) : null;
        Link? v6Link = ipv6 ? await DefaultRouteLinkAsync(netlink, view, AddressFamily.InterNetworkV6, cancellationToken).ConfigureAwait(false) : null;
        if (v4Link is not null && v6Link is not null && v4Link.Index != v6Link.Index)
        {
            throw new ExternalInterfaceException($"Dual stack needs the IPv4 and IPv6 default routes on one interface; they use {v4Link.Name} and {v6Link.Name}.");
        }

        return ((v4Link ?? v6Link)!, null, null);
    }

    private static async ValueTask<Link> DefaultRouteLinkAsync(NetlinkClient netlink, InterfaceView view, AddressFamily family, CancellationToken cancellationToken)
    {
        await foreach (Route route in netlink.RoutesAsync(new RouteFilter { Family = family }, cancellationToken).ConfigureAwait(false))
        {
            if (route.Destination is null || route.Destination.Value.PrefixLength == 0)
            {
                if (route.OutputInterface is not int index)
                {
                    throw new ExternalInterfaceException($"The {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} default route has no output interface.");
                }

                return view.Links.FirstOrDefault(l => l.Index == index)
                    ?? throw new ExternalInterfaceException($"The default route's interface {index} does not exist.");
            }
        }

        throw new ExternalInterfaceException($"No {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} default route to choose the interface by; name one (ExternalInterfaceOptions.Interfaces, flanneld's --iface). Interfaces: {view.DescribeAll()}.");
    }

    private sealed class InterfaceView(List<Link> links, List<LinkAddress> addresses)
    {
        public List<Link> Links { get; } = links;

        public Link? LinkWithAddress(IPAddress address)
        {
            LinkAddress? match = addresses.FirstOrDefault(a => a.Address.Equals(address));
            return match is null ? null : Links.FirstOrDefault(l => l.Index == match.InterfaceIndex);
        }

        public bool Has(int index, IPAddress address) => addresses.Any(a => a.InterfaceIndex == index && a.Address.Equals(address));

        /// <summary>Usable addresses in flannel's preference order.</summary>
        public IEnumerable<IPAddress> Usable(int index, AddressFamily family) =>
            addresses
                .Where(a => a.InterfaceIndex == index && a.Family == family && IsUsable(a))
                .OrderBy(a => a.Address.IsIPv6LinkLocal || (a.Scope == RouteScope.Link) ? 1 : 0)
                .ThenBy(a => family == AddressFamily.InterNetworkV6 && (a.Flags & AddressFlags.Permanent) == 0 ? 1 : 0)
                .ThenBy(a => family == AddressFamily.InterNetworkV6 && (a.Flags & AddressFlags.Secondary) != 0 ? 1 : 0)
                .Select(a => a.Address);

        public IPAddress? FirstUsable(int index, AddressFamily family) => Usable(index, family).FirstOrDefault();

        public string Describe(int index)
        {
            var text = string.Join(", ", addresses.Where(a => a.InterfaceIndex == index).Select(a => $"{a.Address}/{a.PrefixLength}"));
            return text.Length == 0 ? "none" : text;
        }

        public string DescribeAll()
        {
            var sb = new StringBuilder();
            foreach (Link link in Links)
            {
                if (sb.Length > 0)
                {
                    sb.Append("; ");
                }

                sb.Append(link.Name).Append(" [").Append(Describe(link.Index)).Append(']');
            }

            return sb.ToString();
        }

        private static bool IsUsable(LinkAddress a)
        {
            if ((a.Flags & AddressFlags.Deprecated) != 0 || a.Scope is RouteScope.Host or RouteScope.Nowhere)
            {
                return false;
            }

            IPAddress ip = a.Address;
            return !IPAddress.IsLoopback(ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
                && !(ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.IsIPv6Multicast);
        }
    }
}
