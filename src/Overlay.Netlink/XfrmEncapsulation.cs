namespace Overlay.Netlink;

/// <summary>UDP encapsulation of ESP (NAT traversal, XFRMA_ENCAP).</summary>
/// <param name="SourcePort">The source port.</param>
/// <param name="DestinationPort">The destination port.</param>
/// <param name="Type">UDP_ENCAP_ESPINUDP (2) by default.</param>
public sealed record XfrmEncapsulation(ushort SourcePort, ushort DestinationPort, ushort Type = 2);
