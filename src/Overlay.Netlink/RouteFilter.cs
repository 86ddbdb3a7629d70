using System.Net;
using System.Net.Sockets;

namespace Overlay.Netlink;

/// <summary>Which routes a listing returns; null members match everything.</summary>
public sealed record RouteFilter
{
    /// <summary>Only this family.</summary>
    public AddressFamily? Family { get; init; }

    /// <summary>Only this table (default: main). Null = all tables.</summary>
    public uint? Table { get; init; } = RouteTable.Main;

    /// <summary>Only routes with exactly this destination prefix.</summary>
    public IPNetwork? Destination { get; init; }

    /// <summary>Only routes with this protocol (owner mark).</summary>
    public byte? Protocol { get; init; }

    /// <summary>Only routes through this output interface.</summary>
    public int? OutputInterface { get; init; }

    /// <summary>Main table, all families.</summary>
    public static RouteFilter Main { get; } = new();

    /// <summary>All tables, all families.</summary>
    public static RouteFilter All { get; } = new() { Table = null };
}
