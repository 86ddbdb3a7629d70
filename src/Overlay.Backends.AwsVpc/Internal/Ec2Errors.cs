using System.Net;
using System.Net.Http;
using Amazon.Runtime;
using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends.AwsVpc.Internal;

/// <summary>EC2 error codes (docs: "Error codes for the Amazon EC2 API") mapped onto the engine's kinds.</summary>
internal static class Ec2Errors
{
    public static CloudRouteError Classify(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AwsVpcException own:
                    return new CloudRouteError(own.Kind, own.Message);
                case InstanceMetadataException metadata:
                    return new CloudRouteError((int)metadata.Status >= 500 ? CloudRouteErrorKind.Unavailable : CloudRouteErrorKind.Other, metadata.Message);
                case AmazonServiceException service when !string.IsNullOrEmpty(service.ErrorCode):
                    string message = $"{service.ErrorCode}: {service.Message}";
                    CloudRouteErrorKind kind = service.ErrorCode switch
                    {
                        "RequestLimitExceeded" or "Throttling" or "ThrottlingException" or "RequestThrottled" => CloudRouteErrorKind.Throttled,
                        "RouteLimitExceeded" => CloudRouteErrorKind.QuotaExceeded,
                        "InvalidRoute.NotFound" => CloudRouteErrorKind.NotFound,
                        "UnauthorizedOperation" or "AuthFailure" or "InvalidClientTokenId" or "SignatureDoesNotMatch" or "OptInRequired" or "Blocked" or "PendingVerification" => CloudRouteErrorKind.Unauthorized,
                        "InternalError" or "InternalFailure" or "ServiceUnavailable" or "Unavailable" => CloudRouteErrorKind.Unavailable,
                        _ when (int)service.StatusCode >= 500 => CloudRouteErrorKind.Unavailable,
                        _ => CloudRouteErrorKind.Other,
                    };
                    return new CloudRouteError(kind, message);
                case AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError } service:
                    return new CloudRouteError(CloudRouteErrorKind.Unavailable, $"HTTP {(int)service.StatusCode}: {service.Message}");
                case HttpRequestException or TimeoutException or TaskCanceledException or IOException:
                    return new CloudRouteError(CloudRouteErrorKind.Unavailable, $"{e.GetType().Name}: {e.Message}");
            }
        }

        return new CloudRouteError(CloudRouteErrorKind.Other, $"{exception.GetType().Name}: {exception.Message}");
    }
}

/// <summary>An aws-vpc failure found by the provider itself (no such ENI, no route table).</summary>
internal sealed class AwsVpcException(CloudRouteErrorKind kind, string message) : Exception(message)
{
    public CloudRouteErrorKind Kind { get; } = kind;
}
