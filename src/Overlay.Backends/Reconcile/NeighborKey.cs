using System.Net;
using System.Net.Sockets;

namespace Overlay.Backends.Reconcile;

/// <summary>The identity of a neighbour entry: family, interface and IP address.</summary>
/// <param name="Family">Address family.</param>
/// <param name="InterfaceIndex">The interface the entry belongs to.</param>
/// <param name="Address">The IP address (NDA_DST).</param>
public readonly record struct NeighborKey(AddressFamily Family, int InterfaceIndex, IPAddress Address);
