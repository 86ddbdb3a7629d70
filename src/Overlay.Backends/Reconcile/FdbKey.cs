using Overlay.Netlink;

namespace Overlay.Backends.Reconcile;

/// <summary>The identity of an FDB entry: device and MAC address (one destination per MAC, as
/// <c>bridge fdb replace</c> keeps it).</summary>
/// <param name="InterfaceIndex">The device (e.g. the vxlan device).</param>
/// <param name="MacAddress">The MAC address.</param>
public readonly record struct FdbKey(int InterfaceIndex, MacAddress MacAddress);
