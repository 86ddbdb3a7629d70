using System.Net;
using System.Net.Sockets;

namespace Overlay.Backends.Reconcile;

/// <summary>The identity of a route: family, table and destination.</summary>
/// <param name="Family">Address family.</param>
/// <param name="Table">Routing table.</param>
/// <param name="Destination">Destination network.</param>
public readonly record struct RouteKey(AddressFamily Family, uint Table, IPNetwork Destination);
