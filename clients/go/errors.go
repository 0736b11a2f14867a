package wagate

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// Reasons of the google.rpc.ErrorInfo details the gateway attaches.
const (
	// ReasonWindowClosed: a free-form message to a contact whose 24 h
	// customer-service window is closed (Cloud API error 131047).
	ReasonWindowClosed = "WHATSAPP_131047"
	// ReasonSubscriberLagged: a subscription fell too far behind and was cut
	// off; the metadata key "last_cursor" says where to resume.
	ReasonSubscriberLagged = "SUBSCRIBER_LAGGED"
)

// ErrorInfo returns the google.rpc.ErrorInfo carried in the status details
// of err, or nil when there is none. Cloud API errors have the reason
// WHATSAPP_<code> and the metadata code, subcode, details and fbtrace_id.
func ErrorInfo(err error) *errdetails.ErrorInfo {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}
