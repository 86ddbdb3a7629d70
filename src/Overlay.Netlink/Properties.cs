using System.Runtime.Versioning;

[assembly: System.CLSCompliant(false)]
[assembly: SupportedOSPlatform("linux")]
